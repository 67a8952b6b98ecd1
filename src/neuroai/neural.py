"""The course's neural data: simulated population recordings, and the one container every lesson uses.

Nothing here downloads anything. `simulate_sessions` makes multi-session, multi-animal recordings from a
seed; `neuroai.nwb` reads and writes the same `Recording` as an NWB file, so a lesson's code runs
unchanged on a real recording (for instance one from DANDI).

What the simulation stands for
------------------------------
Monkeys making centre-out reaches while a Utah array records from motor cortex (the MC_Maze / "Jenkins"
and "Perich" datasets that POYO and the Neural Latents Benchmark use). Each session has its own neurons;
their firing is shaped by what they are and where they sit, as in the real data:

- Behaviour. Trials of 8 reach directions (with a little angular scatter). After a hold period the hand
  moves to the target with a minimum-jerk, bell-shaped speed profile (Flash & Hogan, 1985); reach
  duration and peak speed vary by animal and from trial to trial. Sampled at 100 Hz, in cm/s.
- Latent dynamics. A 2-D rotational component (a damped ~2 Hz oscillation kicked at movement onset, its
  phase set by the reach direction: the "rotational dynamics" of Churchland et al., 2012) and a slow
  Ornstein-Uhlenbeck drift of excitability (time constant 20 s) that changes rates within a session.
- Tuning. The log firing rate of unit i is
      log lambda_i(t) = b_i + g_i <p_i, v(t + lag)> / v_ref + h_i <p_i, u_target> prep(t) + c_i . z(t)
  with a preferred direction p_i, velocity gain g_i, a lead `lag` (neurons fire ~100 ms before the
  hand moves), a preparatory term for the target direction u_target during the delay and the reach,
  and loadings c_i on the latents z(t) (Georgopoulos et al., 1982; Moran & Schwartz, 1999).
- Identity shapes firing. Region: M1 units are strongly velocity-tuned with little preparatory activity;
  PMd units the other way round. Cell type: putative inhibitory (fast-spiking) units fire at 10-30 Hz
  with weak, broad tuning; excitatory (regular-spiking) units at 1-10 Hz with strong tuning.
- Animals differ in mean rates, tuning strength, reach speed, lag and latent frequency.
- Spikes are an inhomogeneous Poisson process in continuous time, drawn by thinning (Lewis & Shedler,
  1979): exact times, no bins. (No refractory period and no bursting: a simplification.)
- Calcium imaging: `calcium_from_spikes` turns spikes into dF/F traces at a frame rate, with an
  exponential indicator decay, saturation and shot noise, as a GCaMP recording would show them.

It is a model, fitted to nothing: its numbers are chosen to be in the range of published recordings
(rates, tuning depth, lags), so that a decoder meets the same problems it meets in real data (units that
change from session to session, noisy single trials, nonstationary excitability), not to match any
particular dataset.
"""
from dataclasses import dataclass, field

import numpy as np

REGIONS = ("M1", "PMd")
CELL_TYPES = ("excitatory", "inhibitory")
BEHAVIOR_RATE = 100.0          # Hz, behaviour sampling
V_REF = 30.0                   # cm/s, the velocity scale of the tuning term


@dataclass
class Recording:
    """One recording session: the spikes of its units, the behaviour, the trials.

    spike_times (n_spikes,) float64 s, sorted; spike_units (n_spikes,) int64 index into the units.
    units: per-unit columns, each (n_units,): "id" (str, unique across sessions), "region", "cell_type"
      and, for simulated data, the ground truth ("preferred_direction" in radians, "baseline_hz", "gain",
      "prep_gain", and "latent_loading" of shape (n_units, 3)).
    behavior_time (T,) float64 s; hand_velocity (T, 2) float64 cm/s.
    trials: per-trial columns, each (n_trials,): "start", "stop", "move_onset" (s), "direction" (0..7).
    latents (T, 3): the simulation's latent state (absent for real data). calcium_time (F,),
    calcium (F, n_units): dF/F, when the recording has imaging.
    """
    session: str
    subject: str
    spike_times: np.ndarray
    spike_units: np.ndarray
    units: dict
    behavior_time: np.ndarray
    hand_velocity: np.ndarray
    trials: dict
    latents: np.ndarray = None
    calcium_time: np.ndarray = None
    calcium: np.ndarray = None
    meta: dict = field(default_factory=dict)

    @property
    def n_units(self):
        return len(self.units["id"])

    @property
    def n_trials(self):
        return len(self.trials["start"])

    def spikes_in(self, t0, t1):
        """The spikes in [t0, t1): (times, unit indices), times still absolute."""
        lo, hi = np.searchsorted(self.spike_times, [t0, t1])
        return self.spike_times[lo:hi], self.spike_units[lo:hi]

    def velocity_at(self, t):
        """Hand velocity (len(t), 2) at arbitrary times, linearly interpolated."""
        return np.stack([np.interp(t, self.behavior_time, self.hand_velocity[:, d]) for d in range(2)], -1)

    def binned(self, t0, t1, bin_size):
        """Spike counts (n_bins, n_units) in bins of bin_size seconds over [t0, t1)."""
        times, units = self.spikes_in(t0, t1)
        n_bins = int(round((t1 - t0) / bin_size))
        b = np.minimum(((times - t0) / bin_size).astype(np.int64), n_bins - 1)
        counts = np.zeros((n_bins, self.n_units))
        np.add.at(counts, (b, units), 1.0)
        return counts

    def summary(self):
        dur = self.behavior_time[-1] - self.behavior_time[0]
        return (f"{self.session}: {self.n_units} units, {len(self.spike_times)} spikes "
                f"({len(self.spike_times) / max(self.n_units, 1) / dur:.1f} Hz per unit), "
                f"{self.n_trials} trials, {dur:.0f} s")


def _min_jerk_speed(tau):
    """Minimum-jerk speed profile on tau in [0, 1], integrating to 1: 30 tau^2 (1 - tau)^2."""
    tau = np.clip(tau, 0.0, 1.0)
    return 30.0 * tau ** 2 * (1.0 - tau) ** 2


def _animal(rng, k):
    """The parameters an animal keeps across its sessions."""
    return {
        "subject": f"monkey-{chr(ord('a') + k)}",
        "log_rate_shift": rng.normal(0.0, 0.25),          # overall excitability
        "gain_scale": rng.uniform(0.8, 1.2),              # tuning strength
        "reach_s": rng.uniform(0.45, 0.6),                # mean reach duration
        "distance_cm": rng.uniform(8.0, 12.0),
        "lag_s": rng.uniform(0.08, 0.14),                 # neural lead over the hand
        "rot_hz": rng.uniform(1.5, 2.5),                  # rotational-dynamics frequency
        "pmd_fraction": rng.uniform(0.3, 0.5),
    }


def _units(rng, animal, n_units, session):
    region = np.where(rng.random(n_units) < animal["pmd_fraction"], "PMd", "M1")
    cell_type = np.where(rng.random(n_units) < 0.2, "inhibitory", "excitatory")
    inh, pmd = cell_type == "inhibitory", region == "PMd"
    baseline = np.where(inh, rng.uniform(10, 30, n_units), np.exp(rng.uniform(np.log(1.0), np.log(10.0), n_units)))
    baseline *= np.exp(animal["log_rate_shift"])
    gain = animal["gain_scale"] * np.where(pmd, 0.35, 1.0) * np.where(inh, 0.4, 1.0) * rng.uniform(0.6, 1.4, n_units)
    prep = np.where(pmd, 0.6, 0.1) * np.where(inh, 0.4, 1.0) * rng.uniform(0.5, 1.5, n_units)
    return {
        "id": np.array([f"{session}/unit-{i:03d}" for i in range(n_units)]),
        "region": region,
        "cell_type": cell_type,
        "preferred_direction": rng.uniform(0, 2 * np.pi, n_units),
        "baseline_hz": baseline,
        "gain": gain,
        "prep_gain": prep,
        "latent_loading": rng.normal(0, 1, (n_units, 3)) * np.array([0.35, 0.35, 0.25]) * np.where(pmd, 1.4, 0.8)[:, None],
    }


def _behaviour(rng, animal, n_trials, hold_s=(0.2, 0.35), trial_s=1.0, gap_s=(0.2, 0.5)):
    """Centre-out reaches: trial table, 100 Hz time base, velocity (cm/s), latents (T, 3)."""
    dt = 1.0 / BEHAVIOR_RATE
    direction = rng.integers(0, 8, n_trials)
    angle = direction * np.pi / 4 + rng.normal(0, np.deg2rad(5), n_trials)
    gaps = rng.uniform(*gap_s, n_trials)
    start = np.concatenate([[0.5], 0.5 + np.cumsum(trial_s + gaps)[:-1]])
    stop = start + trial_s
    onset = start + rng.uniform(*hold_s, n_trials)
    reach = np.clip(animal["reach_s"] * rng.lognormal(0, 0.1, n_trials), 0.3, trial_s - hold_s[1] - 0.02)
    dist = animal["distance_cm"] * rng.lognormal(0, 0.1, n_trials)
    t = np.arange(0.0, stop[-1] + 0.5, dt)
    vel = np.zeros((len(t), 2))
    prep = np.zeros(len(t))                       # 1 from target onset (trial start) to the end of the reach
    target = np.zeros((len(t), 2))
    for k in range(n_trials):
        i0, i1 = np.searchsorted(t, [onset[k], onset[k] + reach[k]])
        tau = (t[i0:i1] - onset[k]) / reach[k]
        speed = dist[k] / reach[k] * _min_jerk_speed(tau)                       # cm/s, bell-shaped
        vel[i0:i1] = speed[:, None] * np.array([np.cos(angle[k]), np.sin(angle[k])])
        s0 = np.searchsorted(t, start[k])
        prep[s0:i1] = 1.0
        target[s0:i1] = [np.cos(angle[k]), np.sin(angle[k])]
    # latent dynamics: z1 + i z2 a damped oscillation (decay 0.4 s) kicked at each movement onset, its
    # phase the reach angle; z3 a slow Ornstein-Uhlenbeck drift (time constant 20 s)
    z = np.zeros((len(t), 3))
    w = 2 * np.pi * animal["rot_hz"]
    for k in range(n_trials):
        i0 = np.searchsorted(t, onset[k])
        s = t[i0:i0 + int(3.0 / dt)] - t[i0]                                       # 3 s after onset
        osc = 2.0 * np.exp(-s / 0.4 + 1j * (w * s + angle[k]))
        z[i0:i0 + len(s), 0] += osc.real
        z[i0:i0 + len(s), 1] += osc.imag
    a, noise = np.exp(-dt / 20.0), rng.normal(0, 1, len(t)) * np.sqrt(1 - np.exp(-2 * dt / 20.0))
    drift = 0.0
    for i in range(len(t)):
        drift = a * drift + noise[i]
        z[i, 2] = drift
    trials = {"start": start, "stop": stop, "move_onset": onset, "direction": direction}
    return t, vel, z, prep, target, trials


def _thinning(rng, t_grid, log_rate):
    """Continuous-time inhomogeneous Poisson spikes by thinning: candidates at the peak rate, each kept
    with probability lambda(t) / lambda_max (rates linearly interpolated between grid points).
    log_rate: (T, n_units). Returns (times, units), sorted by time."""
    rate = np.exp(log_rate)                                                     # (T, N) Hz
    lam_max = rate.max(0)                                                       # (N,)
    t0, t1 = t_grid[0], t_grid[-1]
    times, units = [], []
    for i, lm in enumerate(lam_max):
        cand = np.sort(rng.uniform(t0, t1, rng.poisson(lm * (t1 - t0))))
        keep = rng.random(len(cand)) * lm < np.interp(cand, t_grid, rate[:, i])
        times.append(cand[keep])
        units.append(np.full(int(keep.sum()), i, dtype=np.int64))
    times, units = np.concatenate(times), np.concatenate(units)
    order = np.argsort(times, kind="stable")
    return times[order], units[order]


def simulate_session(seed, animal, session, n_units=40, n_trials=100):
    """One session of `animal` (a dict from the animal draw) with n_units new units."""
    rng = np.random.default_rng(seed)
    t, vel, z, prep, target, trials = _behaviour(rng, animal, n_trials)
    units = _units(rng, animal, n_units, session)
    # velocity `lag` s ahead: the neurons lead the hand
    ahead = np.stack([np.interp(t + animal["lag_s"], t, vel[:, d]) for d in range(2)], -1)   # (T, 2)
    p = np.stack([np.cos(units["preferred_direction"]), np.sin(units["preferred_direction"])], -1)  # (N, 2)
    latent = z @ units["latent_loading"].T                                                  # (T, N)
    latent -= np.log(np.exp(latent).mean(0))          # the latents modulate the rate, not raise its mean
    log_rate = (np.log(units["baseline_hz"])[None]                                           # (T, N)
                + units["gain"][None] * (ahead @ p.T) / V_REF
                + units["prep_gain"][None] * (target @ p.T) * prep[:, None]
                + latent)
    log_rate = np.minimum(log_rate, np.log(200.0))                               # no rate above 200 Hz
    spike_times, spike_units = _thinning(rng, t, log_rate)
    return Recording(session=session, subject=animal["subject"], spike_times=spike_times,
                     spike_units=spike_units, units=units, behavior_time=t, hand_velocity=vel,
                     trials=trials, latents=z, meta={"seed": seed, "lag_s": animal["lag_s"]})


def simulate_sessions(n_sessions=7, n_animals=2, n_units=(30, 60), n_trials=100, seed=0):
    """Sessions from several animals, each with its own units (n_units: a number, or a (low, high) range).

    Session k belongs to animal k mod n_animals. Everything is drawn from `seed`; session k's own draws
    come from seed-derived streams, so changing n_sessions leaves the earlier sessions unchanged.
    Returns a list of Recording.
    """
    rng = np.random.default_rng([seed, 0])
    animals = [_animal(rng, k) for k in range(n_animals)]
    recordings = []
    for k in range(n_sessions):
        animal = animals[k % n_animals]
        r = np.random.default_rng([seed, 1, k])
        n = int(n_units) if np.isscalar(n_units) else int(r.integers(n_units[0], n_units[1] + 1))
        name = f"{animal['subject']}/session-{k}"
        recordings.append(simulate_session([seed, 2, k], animal, name, n_units=n, n_trials=n_trials))
    return recordings


def calcium_from_spikes(rec, frame_rate=30.0, tau_s=0.5, saturation=8.0, noise=0.05, seed=0):
    """dF/F traces (F, n_units) at `frame_rate` from the recording's spikes, as GCaMP imaging shows them.

    Each spike adds one unit of indicator-bound calcium, which decays with time constant tau_s:
    c_t = gamma c_{t-1} + s_t, gamma = exp(-1 / (frame_rate tau_s)). Fluorescence saturates,
    dF/F = A c / (c + K) with K = saturation, per-unit amplitude A ~ U(0.5, 1.5), plus Gaussian noise.
    Returns (frame times (F,), dF/F (F, n_units)); also stored on the recording.
    """
    rng = np.random.default_rng(seed)
    t0, t1 = rec.behavior_time[0], rec.behavior_time[-1]
    counts = rec.binned(t0, t1, 1.0 / frame_rate)                               # (F, N)
    gamma = np.exp(-1.0 / (frame_rate * tau_s))
    c = np.zeros_like(counts)
    for f in range(len(counts)):
        c[f] = (gamma * c[f - 1] if f else 0.0) + counts[f]
    amp = rng.uniform(0.5, 1.5, rec.n_units)
    dff = amp * c / (c + saturation) + noise * rng.normal(0, 1, c.shape)
    frame_t = t0 + (np.arange(len(counts)) + 0.5) / frame_rate
    rec.calcium_time, rec.calcium = frame_t, dff
    return frame_t, dff
