"""A `Recording` as an NWB file (Neurodata Without Borders, the format of DANDI), with pynwb.

`write_nwb(rec, path)` stores a recording; `read_nwb(path)` reads one back, or reads a real recording
(for instance DANDI 000128, MC_Maze), so a lesson's code runs unchanged on either. Nothing goes online.

Where things go in the file
---------------------------
- identifier = the session name; subject = a Subject (subject_id, species "Macaca mulatta");
  session_start_time (and file_create_date) fixed at 2000-01-01 UTC, so the same recording always
  makes the same content (the bytes still differ: hdmf gives every object a random object_id).
- units: the Units table. spike_times per unit (ragged), the unit's string id in the column "unit_name"
  (NWB's own `id` column is an integer), and one column per other entry of rec.units, each with one
  value per unit: strings ("region", "cell_type"), floats ("preferred_direction", ...), and 2-D
  entries as a multi-dimensional column ("latent_loading": (n_units, 3)).
- trials: the trials table. start -> start_time, stop -> stop_time, every other entry of rec.trials
  ("move_onset", "direction") a column of its own name.
- processing/behavior/hand_velocity: a TimeSeries (T, 2) in cm/s, timestamps = behavior_time.
- processing/simulation/latents: a TimeSeries (T, 3) of the simulation's latent state (when present),
  its timestamps a link to the behaviour's.
- Calcium (when present), the standard optical-physiology layout: a Device "microscope", an ImagingPlane
  with one OpticalChannel, and processing/ophys holding ImageSegmentation/PlaneSegmentation (ROI i is
  unit i, each ROI a single pixel (i, 0)) and DfOverF/dff, a RoiResponseSeries (F, n_units) with
  timestamps = calcium_time.
- scratch/meta: rec.meta as JSON text (numpy values become lists and numbers).

Reading a file not written here: units come from the Units table (spike_times, and the columns with
one number or string per unit; ragged or reference columns such as obs_intervals, electrodes or
electrode_group are left out); a unit without "region" / "cell_type" is "unknown"; ids are
f"{session}/unit-{id:03d}". Trials map move_onset_time (or move_onset) to "move_onset" (NaN if absent)
and keep "direction" (-1 if absent); other trial columns are not read. The hand velocity is the
behaviour TimeSeries named `velocity` (default "hand_velocity", else "hand_vel"), converted to cm/s
when its unit is m/s or mm/s (any other unit is kept as is and named in meta["velocity_unit"]).
"""
import json
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np
from hdmf.common import DynamicTableRegion, VectorIndex
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.file import Subject
from pynwb.ophys import DfOverF, ImageSegmentation, OpticalChannel, PlaneSegmentation, RoiResponseSeries

from neuroai.neural import Recording

START = datetime(2000, 1, 1, tzinfo=timezone.utc)
VELOCITY_NAMES = ("hand_velocity", "hand_vel")       # tried in this order when velocity=None
CM_PER = {"cm/s": 1.0, "mm/s": 0.1, "m/s": 100.0}    # velocity units read_nwb converts to cm/s


# ---- writing ----

def write_nwb(rec, path):
    """Write the Recording `rec` to the NWB file `path` (layout: the module docstring)."""
    nwb = NWBFile(session_description=f"neuroai recording {rec.session}", identifier=rec.session,
                  session_start_time=START, file_create_date=START,
                  subject=Subject(subject_id=rec.subject, species="Macaca mulatta"))
    _write_units(nwb, rec)
    for name in rec.trials:
        if name not in ("start", "stop"):
            nwb.add_trial_column(name, f"{name} of each trial")
    for k in range(rec.n_trials):
        extra = {name: rec.trials[name][k] for name in rec.trials if name not in ("start", "stop")}
        nwb.add_trial(start_time=rec.trials["start"][k], stop_time=rec.trials["stop"][k], **extra)
    velocity = TimeSeries(name="hand_velocity", data=rec.hand_velocity, unit="cm/s", timestamps=rec.behavior_time,
                          description="hand velocity (x, y)")
    nwb.create_processing_module("behavior", "the hand's movement").add(velocity)
    if rec.latents is not None:
        latents = TimeSeries(name="latents", data=rec.latents, unit="a.u.", timestamps=velocity,
                             description="the simulation's latent state: rotational (z1, z2), slow drift (z3)")
        nwb.create_processing_module("simulation", "ground truth of the simulation").add(latents)
    if rec.calcium is not None:
        _write_calcium(nwb, rec)
    nwb.add_scratch(json.dumps(rec.meta, default=lambda x: np.asarray(x).tolist()), name="meta",
                    description="Recording.meta as JSON")
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


def _write_units(nwb, rec):
    """Units table: spike_times (ragged) plus one column per entry of rec.units ("id" -> "unit_name")."""
    columns = {("unit_name" if name == "id" else name): np.asarray(v) for name, v in rec.units.items()}
    for name in columns:
        nwb.add_unit_column(name, f"{name} of each unit")
    for i in range(rec.n_units):
        nwb.add_unit(spike_times=rec.spike_times[rec.spike_units == i], **{name: v[i] for name, v in columns.items()})


def _write_calcium(nwb, rec):
    """The smallest standard ophys layout: device, imaging plane, one one-pixel ROI per unit, dF/F."""
    device = nwb.create_device(name="microscope", description="two-photon microscope (simulated)")
    channel = OpticalChannel(name="green", description="GCaMP emission", emission_lambda=510.0)
    plane = nwb.create_imaging_plane(name="plane", optical_channel=channel, device=device, indicator="GCaMP",
                                     excitation_lambda=920.0, location="motor cortex",
                                     description="simulated imaging plane")
    rois = PlaneSegmentation(name="rois", description="ROI i is unit i", imaging_plane=plane)
    for i in range(rec.n_units):
        rois.add_roi(pixel_mask=[(i, 0, 1.0)])
    ophys = nwb.create_processing_module("ophys", "calcium imaging")
    ophys.add(ImageSegmentation(plane_segmentations=[rois]))
    dff = DfOverF()                             # in the file before its series, whose ROIs it references
    ophys.add(dff)
    dff.add_roi_response_series(RoiResponseSeries(
        name="dff", data=rec.calcium, unit="n.a.", timestamps=rec.calcium_time,
        rois=rois.create_roi_table_region("all ROIs", region=list(range(rec.n_units)))))


# ---- reading ----

def read_nwb(path, velocity=None, session=None):
    """Read an NWB file into a Recording.

    velocity: the name of the behaviour TimeSeries (T, >=2) holding the hand velocity (default
    "hand_velocity", else "hand_vel"). session: the session name (default: the file's identifier).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such NWB file: {path}")
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an NWB file (NWB files are HDF5, and this one is not)")
    with NWBHDF5IO(str(path), "r") as io:
        try:
            nwb = io.read()
        except Exception as e:
            raise ValueError(f"{path} is an HDF5 file but pynwb cannot read it as NWB: {e}") from e
        session = session or nwb.identifier
        spike_times, spike_units, units = _read_units(nwb, session, path)
        behavior_time, hand_velocity, unit = _read_velocity(nwb, velocity, path)
        calcium = _read_calcium(nwb)
        meta = json.loads(nwb.scratch["meta"].data) if "meta" in nwb.scratch else {"source": str(path)}
        if unit not in CM_PER:
            meta["velocity_unit"] = unit
        return Recording(session=session, subject=(nwb.subject and nwb.subject.subject_id) or "unknown",
                         spike_times=spike_times, spike_units=spike_units, units=units,
                         behavior_time=behavior_time, hand_velocity=hand_velocity, trials=_read_trials(nwb),
                         latents=_read_latents(nwb),
                         calcium_time=None if calcium is None else calcium[0],
                         calcium=None if calcium is None else calcium[1], meta=meta)


def _read_units(nwb, session, path):
    """Spikes of all units, sorted by time (stable: ties keep unit order), and the per-unit columns."""
    if nwb.units is None or len(nwb.units) == 0:
        raise ValueError(f"{path} has no units table: a Recording needs spike times (NWB's Units)")
    table = nwb.units
    ids = np.asarray(table.id[:])
    times = [np.asarray(table["spike_times"][i], dtype=np.float64) for i in range(len(ids))]
    spike_times = np.concatenate(times)
    spike_units = np.concatenate([np.full(len(t), i, dtype=np.int64) for i, t in enumerate(times)])
    order = np.argsort(spike_times, kind="stable")
    units = {"id": np.array([f"{session}/unit-{i:03d}" for i in ids])}
    for name in table.colnames:
        column = table[name]
        if name == "spike_times" or isinstance(column, (VectorIndex, DynamicTableRegion)):
            continue                            # ragged (obs_intervals, waveforms) or references (electrodes)
        values = np.asarray(column.data[:])
        if values.dtype == object:
            if not all(isinstance(v, str) for v in values):
                continue                        # object references (electrode_group)
            values = values.astype(str)
        units["id" if name == "unit_name" else name] = values
    for name in ("region", "cell_type"):
        units.setdefault(name, np.full(len(ids), "unknown"))
    return spike_times[order], spike_units[order], units


def _read_trials(nwb):
    """start, stop, move_onset (NaN if the file has none), direction (-1 if none), each (n_trials,)."""
    if nwb.trials is None:
        return {"start": np.zeros(0), "stop": np.zeros(0), "move_onset": np.zeros(0),
                "direction": np.zeros(0, dtype=np.int64)}
    table, n = nwb.trials, len(nwb.trials)
    onset = next((name for name in ("move_onset_time", "move_onset") if name in table.colnames), None)
    return {"start": np.asarray(table["start_time"].data[:], dtype=np.float64),
            "stop": np.asarray(table["stop_time"].data[:], dtype=np.float64),
            "move_onset": np.asarray(table[onset].data[:], dtype=np.float64) if onset else np.full(n, np.nan),
            "direction": (np.asarray(table["direction"].data[:], dtype=np.int64) if "direction" in table.colnames
                          else np.full(n, -1, dtype=np.int64))}


def _behaviour_series(nwb):
    """{name: TimeSeries} of processing/behavior, including those inside containers (Position, ...)."""
    found = {}
    module = nwb.processing.get("behavior")
    for obj in module.data_interfaces.values() if module else []:
        for ts in ([obj] if isinstance(obj, TimeSeries) else obj.children):
            if isinstance(ts, TimeSeries):
                found[ts.name] = ts
    return found


def _times(ts):
    """A TimeSeries' sample times (n,) in s: its timestamps, or starting_time + arange(n) / rate."""
    if ts.timestamps is not None:
        return np.asarray(ts.timestamps[:], dtype=np.float64)
    return ts.starting_time + np.arange(len(ts.data)) / ts.rate


def _values(ts):
    """A TimeSeries' data as float64, scaled by its conversion and offset."""
    data = np.asarray(ts.data[:], dtype=np.float64)
    if ts.conversion != 1.0:
        data = data * ts.conversion
    if getattr(ts, "offset", 0.0):
        data = data + ts.offset
    return data


def _read_velocity(nwb, velocity, path):
    """Behaviour time (T,) s and hand velocity (T, 2), in cm/s when the unit is known; and the unit."""
    found = _behaviour_series(nwb)
    name = velocity or next((n for n in VELOCITY_NAMES if n in found), None)
    if name not in found:
        wanted = " or ".join(repr(n) for n in ([velocity] if velocity else VELOCITY_NAMES))
        raise ValueError(f"{path}: no hand-velocity TimeSeries {wanted} in processing/behavior; the file has "
                         f"{sorted(found) or 'none'}. Pass velocity=NAME to use one of them.")
    ts = found[name]
    data = _values(ts)
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError(f"{path}: {name} has shape {data.shape}; a hand velocity is (T, 2)")
    return _times(ts), data[:, :2] * CM_PER.get(ts.unit, 1.0), ts.unit


def _read_latents(nwb):
    """processing/simulation/latents (T, 3), on the behaviour's time base; None if absent (real data)."""
    module = nwb.processing.get("simulation")
    return _values(module["latents"]) if module and "latents" in module.data_interfaces else None


def _read_calcium(nwb):
    """(frame times (F,), dF/F (F, n_rois)) from processing/ophys's DfOverF, or None."""
    module = nwb.processing.get("ophys")
    dff = next((obj for obj in module.data_interfaces.values() if isinstance(obj, DfOverF)), None) if module else None
    if dff is None or not dff.roi_response_series:
        return None
    ts = next(iter(dff.roi_response_series.values()))
    return _times(ts), _values(ts)
