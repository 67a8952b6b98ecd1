"""The course's neural data: the simulator is seeded and has the properties neuroai.neural claims
(identity shapes firing, recoverable tuning, bell-shaped reaches, calcium that follows the spikes), the
Recording's helpers do what they say, and neuroai.nwb round-trips a recording and reads a DANDI-like file."""
import numpy as np
import pytest
from pynwb import NWBHDF5IO, NWBFile, TimeSeries

from neuroai.neural import BEHAVIOR_RATE, Recording, calcium_from_spikes, simulate_sessions
from neuroai.nwb import START, read_nwb, write_nwb


@pytest.fixture(scope="module")
def sessions():
    return simulate_sessions(n_sessions=2, n_units=20, n_trials=30)


@pytest.fixture(scope="module")
def tuning_sessions():
    """Bigger sessions for the tuning statistics: about 40 excitatory M1 and 20 excitatory PMd units."""
    return simulate_sessions(n_sessions=2, n_units=40, n_trials=60)


def excitatory(rec, region):
    return (rec.units["region"] == region) & (rec.units["cell_type"] == "excitatory")


def direction_rates(rec, t0, t1):
    """Rates (8, n_units) in Hz per reach direction: spikes in [t0[k], t1[k]) summed over the trials of
    that direction, over their summed duration (steadier than averaging short single-trial rates)."""
    counts, duration = np.zeros((8, rec.n_units)), np.zeros(8)
    for k, d in enumerate(rec.trials["direction"]):
        _, units = rec.spikes_in(t0[k], t1[k])
        counts[d] += np.bincount(units, minlength=rec.n_units)
        duration[d] += t1[k] - t0[k]
    return counts / duration[:, None]


def depth_along_true_pd(rec, rates):
    """Directional modulation of each unit along its ground-truth preferred direction: the slope of the
    rate on cos(reach angle - preferred direction), over the mean rate. (n_units,); ~0 if untuned."""
    c = np.cos(np.arange(8)[:, None] * np.pi / 4 - rec.units["preferred_direction"][None])
    c, r = c - c.mean(0), rates - rates.mean(0)
    return (c * r).sum(0) / (c * c).sum(0) / np.maximum(rates.mean(0), 1e-9)


def delay_and_reach_depths(recs, region):
    """Modulation depths of the excitatory units of `region`, pooled over the sessions, in the delay
    (target shown, hand still, until the neurons' ~100 ms lead) and around the reach (from 100 ms before
    onset to 400 ms after). Two arrays (n,)."""
    delay, reach = [], []
    for rec in recs:
        start, onset, keep = rec.trials["start"], rec.trials["move_onset"], excitatory(rec, region)
        delay.append(depth_along_true_pd(rec, direction_rates(rec, start, onset - 0.15))[keep])
        reach.append(depth_along_true_pd(rec, direction_rates(rec, onset - 0.1, onset + 0.4))[keep])
    return np.concatenate(delay), np.concatenate(reach)


# ---- the simulator: seeds, sessions, animals ----

def test_same_seed_same_spikes_other_seed_other_spikes():
    a, b, c = (simulate_sessions(n_sessions=1, n_units=10, n_trials=10, seed=s)[0] for s in (3, 3, 4))
    assert np.array_equal(a.spike_times, b.spike_times) and np.array_equal(a.spike_units, b.spike_units)
    assert len(a.spike_times) != len(c.spike_times) or not np.array_equal(a.spike_times, c.spike_times)


def test_more_sessions_leave_the_earlier_ones_unchanged():
    two = simulate_sessions(n_sessions=2, n_units=(10, 20), n_trials=10)
    three = simulate_sessions(n_sessions=3, n_units=(10, 20), n_trials=10)
    for a, b in zip(two, three[:2], strict=True):
        assert np.array_equal(a.spike_times, b.spike_times) and np.array_equal(a.units["id"], b.units["id"])


def test_sessions_have_their_own_units_in_the_asked_range_and_alternate_animals():
    recs = simulate_sessions(n_sessions=5, n_units=(10, 15), n_trials=5)
    ids = np.concatenate([r.units["id"] for r in recs])
    assert len(set(ids)) == len(ids)
    assert all(10 <= r.n_units <= 15 for r in recs)
    assert [r.subject for r in recs] == ["monkey-a", "monkey-b"] * 2 + ["monkey-a"]


# ---- spikes ----

def test_spikes_are_sorted_inside_the_recording_with_valid_units(sessions):
    for rec in sessions:
        assert np.all(np.diff(rec.spike_times) >= 0)
        assert rec.behavior_time[0] <= rec.spike_times[0] and rec.spike_times[-1] <= rec.behavior_time[-1]
        assert rec.spike_units.min() >= 0 and rec.spike_units.max() < rec.n_units


def mean_rates(rec):
    """Each unit's mean firing rate (n_units,) in Hz over the recording."""
    return np.bincount(rec.spike_units, minlength=rec.n_units) / (rec.behavior_time[-1] - rec.behavior_time[0])


def test_inhibitory_units_fire_faster_than_excitatory_ones(sessions):
    """Identity shapes firing: fast-spiking (putative inhibitory) units fire faster on average."""
    for rec in sessions:
        rate, inhibitory = mean_rates(rec), rec.units["cell_type"] == "inhibitory"
        assert rate[inhibitory].mean() > 2 * rate[~inhibitory].mean()


def test_rates_are_in_the_range_of_motor_cortex_recordings(sessions):
    """Every unit's mean rate is between 1 and 40 Hz (the docstring: 1-10 Hz excitatory, 10-30 Hz
    inhibitory, shifted a little per animal)."""
    for rec in sessions:
        assert 1.0 <= mean_rates(rec).min() and mean_rates(rec).max() <= 40.0


# ---- tuning ----

def test_preferred_direction_is_recovered_from_reach_spike_counts(tuning_sessions):
    """Regress each M1 excitatory unit's spike counts around the reach (from its ~100 ms lead to 400 ms
    after onset), one row per trial, on cos/sin of the reach angle: the fitted preferred direction is
    within 45 degrees of the ground truth for at least 80% of the units."""
    errors = []
    for rec in tuning_sessions:
        onset = rec.trials["move_onset"]
        counts = np.stack([np.bincount(rec.spikes_in(t - 0.1, t + 0.4)[1], minlength=rec.n_units) for t in onset])
        angle = rec.trials["direction"] * np.pi / 4
        X = np.stack([np.ones_like(angle), np.cos(angle), np.sin(angle)], 1)
        beta = np.linalg.lstsq(X, counts, rcond=None)[0]                 # (3, n_units)
        error = np.angle(np.exp(1j * (np.arctan2(beta[2], beta[1]) - rec.units["preferred_direction"])))
        errors.append(np.abs(error)[excitatory(rec, "M1")])
    errors = np.concatenate(errors)
    assert len(errors) >= 20
    assert np.mean(errors < np.deg2rad(45)) >= 0.8


def test_m1_is_more_velocity_modulated_than_pmd(tuning_sessions):
    """The velocity term adds directional modulation during the reach: it adds more in M1 than in PMd."""
    m1_delay, m1_reach = delay_and_reach_depths(tuning_sessions, "M1")
    pmd_delay, pmd_reach = delay_and_reach_depths(tuning_sessions, "PMd")
    assert (m1_reach - m1_delay).mean() > (pmd_reach - pmd_delay).mean() + 0.1


def test_pmd_has_more_preparatory_modulation_than_m1(tuning_sessions):
    """While the hand is still and the target shown, PMd units' rates already depend on the direction."""
    m1_delay, _ = delay_and_reach_depths(tuning_sessions, "M1")
    pmd_delay, _ = delay_and_reach_depths(tuning_sessions, "PMd")
    assert pmd_delay.mean() > m1_delay.mean() + 0.2


# ---- behaviour ----

def test_behavior_rate_is_100_hz(sessions):
    assert np.allclose(np.diff(sessions[0].behavior_time), 1 / BEHAVIOR_RATE)


def test_speed_is_bell_shaped_zero_at_onset_peak_mid_reach(sessions):
    for rec in sessions:
        speed = np.linalg.norm(rec.hand_velocity, axis=1)
        for k in range(rec.n_trials):
            i0, i1 = np.searchsorted(rec.behavior_time, [rec.trials["start"][k], rec.trials["move_onset"][k]])
            assert np.all(speed[i0:i1] == 0)                                         # still until onset
            moving = i1 + np.flatnonzero(speed[i1:i1 + 100] > 0)                     # the reach: < 1 s
            peak = np.argmax(speed[i1:i1 + 100]) + i1
            assert speed[moving[0]] < 0.05 * speed[peak]                            # starts from ~0
            assert abs(peak - (moving[0] + moving[-1]) / 2) <= 2                     # peaks mid-reach


def test_reach_direction_matches_the_direction_code(sessions):
    """Velocity at peak speed points at direction * 45 degrees, within the 5-degree scatter (4 sd)."""
    for rec in sessions:
        onset = np.searchsorted(rec.behavior_time, rec.trials["move_onset"])
        peak = onset + np.array([np.argmax(np.linalg.norm(rec.hand_velocity[i:i + 100], axis=1)) for i in onset])
        vx, vy = rec.hand_velocity[peak].T
        error = np.angle(np.exp(1j * (np.arctan2(vy, vx) - rec.trials["direction"] * np.pi / 4)))
        assert np.all(np.abs(error) < np.deg2rad(20))


# ---- calcium ----

def test_calcium_shapes_and_frame_rate():
    rec = simulate_sessions(n_sessions=1, n_units=10, n_trials=10)[0]
    t, dff = calcium_from_spikes(rec, frame_rate=20.0)
    duration = rec.behavior_time[-1] - rec.behavior_time[0]
    assert dff.shape == (len(t), 10) and len(t) == round(duration * 20.0)
    assert np.allclose(np.diff(t), 1 / 20.0)
    assert rec.calcium is dff and rec.calcium_time is t


def test_calcium_follows_each_units_own_spikes():
    """dF/F of unit i correlates best with unit i's spike counts filtered by the indicator's decay."""
    rec = simulate_sessions(n_sessions=1, n_units=15, n_trials=30)[0]
    frame_rate, tau_s = 30.0, 0.5
    _, dff = calcium_from_spikes(rec, frame_rate=frame_rate, tau_s=tau_s)
    counts = rec.binned(rec.behavior_time[0], rec.behavior_time[-1], 1 / frame_rate)
    kernel = np.exp(-np.arange(int(5 * tau_s * frame_rate)) / (frame_rate * tau_s))
    smooth = np.stack([np.convolve(counts[:, i], kernel)[:len(counts)] for i in range(rec.n_units)], 1)
    corr = np.corrcoef(dff.T, smooth.T)[:rec.n_units, rec.n_units:]            # (dF/F unit, spikes unit)
    assert np.array_equal(corr.argmax(1), np.arange(rec.n_units))
    assert np.diag(corr).min() > 0.5


def test_calcium_is_seeded():
    rec = simulate_sessions(n_sessions=1, n_units=5, n_trials=5)[0]
    a, b, c = (calcium_from_spikes(rec, seed=s)[1] for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.allclose(a, c)


# ---- Recording's helpers, on a hand-made recording ----

@pytest.fixture
def tiny():
    """Two units: unit 0 spikes at 0.05, 0.15, 0.25; unit 1 at 0.12, 0.32. Velocity ramps 0 -> 1 cm/s in x."""
    t = np.arange(0.0, 1.01, 0.01)
    return Recording(session="tiny", subject="m", spike_times=np.array([0.05, 0.12, 0.15, 0.25, 0.32]),
                     spike_units=np.array([0, 1, 0, 0, 1]), units={"id": np.array(["u0", "u1"])},
                     behavior_time=t, hand_velocity=np.stack([t, -2 * t], 1),
                     trials={"start": np.array([0.0]), "stop": np.array([1.0]), "move_onset": np.array([0.5]),
                             "direction": np.array([0])})


def test_spikes_in_is_half_open(tiny):
    times, units = tiny.spikes_in(0.12, 0.25)
    assert np.array_equal(times, [0.12, 0.15]) and np.array_equal(units, [1, 0])


def test_binned_counts_spikes_per_bin_and_unit(tiny):
    counts = tiny.binned(0.0, 0.4, 0.1)
    assert np.array_equal(counts, [[1, 0], [1, 1], [1, 0], [0, 1]])


def test_velocity_at_interpolates(tiny):
    assert np.allclose(tiny.velocity_at(np.array([0.005, 0.5])), [[0.005, -0.01], [0.5, -1.0]])


# ---- NWB ----

def test_nwb_round_trip_is_exact(tmp_path):
    rec = simulate_sessions(n_sessions=1, n_units=12, n_trials=10)[0]
    calcium_from_spikes(rec)
    write_nwb(rec, tmp_path / "rec.nwb")
    back = read_nwb(tmp_path / "rec.nwb")
    assert (back.session, back.subject, back.meta) == (rec.session, rec.subject, rec.meta)
    assert back.spike_times.tobytes() == rec.spike_times.tobytes()                    # bitwise
    assert np.array_equal(back.spike_units, rec.spike_units)
    assert back.units.keys() == rec.units.keys()
    assert all(np.array_equal(back.units[k], rec.units[k]) for k in rec.units)
    assert back.trials.keys() == rec.trials.keys()
    assert all(np.array_equal(back.trials[k], rec.trials[k]) for k in rec.trials)
    for name in ("behavior_time", "hand_velocity", "latents", "calcium_time", "calcium"):
        assert np.array_equal(getattr(back, name), getattr(rec, name)), name


def write_file(path, units=True, behavior=("hand_vel", "hand_pos")):
    """A file laid out like DANDI 000128 (MC_Maze): units with spike_times, obs_intervals and electrodes
    but no region or cell type, trials with move_onset_time, processing/behavior with rate-timed
    TimeSeries in mm/s."""
    nwb = NWBFile(session_description="MC_Maze-like", identifier="maze", session_start_time=START)
    if units:
        array = nwb.create_electrode_group("array", "Utah array", "M1", nwb.create_device("utah"))
        for spikes in ([0.5, 1.5, 2.5], [0.2, 1.5]):
            nwb.add_electrode(group=array, location="M1")
            nwb.add_unit(spike_times=spikes, obs_intervals=[[0.0, 10.0]], electrodes=[len(nwb.electrodes) - 1],
                         electrode_group=array)
    nwb.add_trial_column("move_onset_time", "movement onset")
    nwb.add_trial(start_time=0.0, stop_time=1.0, move_onset_time=0.4)
    nwb.add_trial(start_time=2.0, stop_time=3.0, move_onset_time=2.3)
    module = nwb.create_processing_module("behavior", "behaviour")
    for name in behavior:
        module.add(TimeSeries(name=name, data=np.arange(20.0).reshape(10, 2), unit="mm/s",
                              starting_time=1.0, rate=1000.0))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def test_dandi_like_file_reads_with_hand_vel_and_unknown_regions(tmp_path):
    rec = read_nwb(write_file(tmp_path / "maze.nwb"))
    assert np.array_equal(rec.units["id"], ["maze/unit-000", "maze/unit-001"])
    assert np.array_equal(rec.units["region"], ["unknown"] * 2) and rec.units.keys() == {"id", "region", "cell_type"}
    assert np.array_equal(rec.spike_times, [0.2, 0.5, 1.5, 1.5, 2.5])
    assert np.array_equal(rec.spike_units, [1, 0, 0, 1, 0])                          # ties keep unit order
    assert np.allclose(rec.behavior_time, 1.0 + np.arange(10) / 1000.0)
    assert np.allclose(rec.hand_velocity, np.arange(20.0).reshape(10, 2) / 10)       # mm/s -> cm/s
    assert np.array_equal(rec.trials["move_onset"], [0.4, 2.3]) and np.array_equal(rec.trials["direction"], [-1, -1])


def test_missing_velocity_is_a_clear_error_listing_what_the_file_has(tmp_path):
    path = write_file(tmp_path / "eyes.nwb", behavior=("cursor_pos", "eye_pos"))
    with pytest.raises(ValueError, match=r"\['cursor_pos', 'eye_pos'\].*velocity=NAME"):
        read_nwb(path)
    assert read_nwb(path, velocity="cursor_pos").hand_velocity.shape == (10, 2)


def test_no_units_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no units table.*spike times"):
        read_nwb(write_file(tmp_path / "no_units.nwb", units=False))


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.nwb"):
        read_nwb(tmp_path / "nowhere.nwb")


def test_text_file_is_not_nwb(tmp_path):
    (tmp_path / "notes.txt").write_text("not a recording")
    with pytest.raises(ValueError, match="not an NWB file"):
        read_nwb(tmp_path / "notes.txt")
