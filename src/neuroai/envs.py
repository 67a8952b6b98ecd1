"""Environments for the reinforcement-learning lessons, with the gymnasium API.

KeyChainEnv is a vectorized "multi-key-to-door" task after the key-to-door tasks of Sun et al. (2022,
ConSpec): success hinges on a few critical choices far from the reward, between which the agent
collects distractor rewards. It steps many episodes at once with numpy (one array operation per step
for all of them), which is what lets an agent train on two CPU cores in seconds.

    env = KeyChainEnv(num_envs=64, seed=0)
    obs, info = env.reset()                          # obs: (num_envs, obs_dim) float32
    obs, reward, terminated, truncated, info = env.step(actions)   # actions: (num_envs,) ints in 0..2

FourRoomsDriftEnv is a vectorized four-rooms gridworld that drifts (after Chua, Precup & Richards 2025):
the goal room alternates between two tasks (T1 T2 T1 T2) and the slip probability follows a noisy sine.
Copies of the env can share one "world" (the same goals, slip noise and start cells), so agents that
differ only in their learning rule meet the same environment: a paired comparison.

    env = FourRoomsDriftEnv(num_envs=60, worlds=10, seed=0)   # env b lives in world b % 10
    obs, info = env.reset()                                   # obs: (num_envs,) cell index in 0..80
    obs, reward, terminated, truncated, info = env.step(actions)   # actions: (num_envs,) ints in 0..3
"""
import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode


class KeyChainEnv(gymnasium.vector.VectorEnv):
    """K rooms in a row, then a door. Every room starts with a *choice* step: three items lie in three
    slots and one of them (in a random slot) is the room's key, which has the room's own colour
    (colour k in room k; K colours in all). The action picks a slot. Then come `distractor_steps` steps;
    at each, with probability `apple_prob`, an apple lies in a random visible slot and picking it pays
    `apple_reward` (a noisy reward unrelated to success). The last step of the last room opens the
    door, which pays `door_reward` only if the agent picked the key in every room. A random agent
    succeeds with probability 3^-K. Each key has its own colour, so what the agent learns about the key
    next to the door does not carry over to the first room: every key must get its own credit.

    Observation (obs_dim = K + 1 + distractor_steps + 3 K + 3 numbers, all 0 or 1):
        room one-hot (K) | step-in-room one-hot (1 + distractor_steps) |
        where the key of each colour lies (K blocks of 3 slots; choice steps only) | apple slot one-hot (3)
    The keys held are not visible: as in the paper's key-to-door tasks, nothing in the distractor
    steps shows whether the agent picked a key, so a memoryless value function cannot carry that to
    the door; what happened at a choice step is told by the observation there and the action taken.
    `palette` (a permutation of the K colours) repaints the keys: the same rules in new sensory
    features.

    All episodes last K * (1 + distractor_steps) steps; the env does not reset itself (autoreset
    disabled): call reset() after an episode ends. Rewards are float32 arrays of shape (num_envs,).
    """
    metadata = {"autoreset_mode": AutoresetMode.DISABLED}
    SLOTS = 3

    def __init__(self, num_envs=64, keys=3, distractor_steps=6, apple_prob=0.5, apple_reward=0.1,
                 door_reward=1.0, seed=None, palette=None):
        self.num_envs, self.keys, self.distractor_steps = num_envs, keys, distractor_steps
        self.room_len = 1 + distractor_steps
        self.horizon = keys * self.room_len                          # steps per episode
        self.apple_prob, self.apple_reward, self.door_reward = apple_prob, apple_reward, door_reward
        self.obs_dim = keys + self.room_len + self.SLOTS * keys + self.SLOTS
        self.palette = np.arange(keys) if palette is None else np.asarray(palette)   # colour c is drawn as palette[c]
        # where each block of the observation starts
        self._room, self._step = 0, keys
        self._key = keys + self.room_len
        self._apple = self._key + self.SLOTS * keys
        self.single_observation_space = gymnasium.spaces.Box(0.0, 1.0, (self.obs_dim,), np.float32)
        self.single_action_space = gymnasium.spaces.Discrete(self.SLOTS)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (num_envs, self.obs_dim), np.float32)
        self.action_space = gymnasium.spaces.MultiDiscrete(np.full(num_envs, self.SLOTS))
        self.rng = np.random.default_rng(seed)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        n = self.num_envs
        self.t = 0
        self.key_slot = self.rng.integers(0, self.SLOTS, (n, self.keys))           # (n, K)
        self.apple_slot = self.rng.integers(0, self.SLOTS, (n, self.horizon))      # (n, horizon)
        self.apple_slot[self.rng.random((n, self.horizon)) >= self.apple_prob] = -1  # -1: no apple
        self.held = np.zeros((n, self.keys), dtype=bool)                           # (n, K)
        return self._observe(), {}

    def _observe(self):
        n = self.num_envs
        obs = np.zeros((n, self.obs_dim), dtype=np.float32)
        rows = np.arange(n)
        if self.t >= self.horizon:                  # terminal observation: all zeros
            return obs
        room, step = divmod(self.t, self.room_len)
        obs[:, self._room + room] = 1
        obs[:, self._step + step] = 1
        if step == 0:                               # a choice step: show where the key lies
            obs[rows, self._key + self.SLOTS * self.palette[room] + self.key_slot[:, room]] = 1
        else:                                       # a distractor step: show the apple, if any
            there = self.apple_slot[:, self.t] >= 0
            obs[rows[there], self._apple + self.apple_slot[there, self.t]] = 1
        return obs

    def step(self, actions):
        actions = np.asarray(actions)
        if self.t >= self.horizon:
            raise RuntimeError("the episodes have ended: call reset()")
        room, step = divmod(self.t, self.room_len)
        reward = np.zeros(self.num_envs, dtype=np.float32)
        if step == 0:
            self.held[:, room] |= actions == self.key_slot[:, room]
        else:
            reward += self.apple_reward * (actions == self.apple_slot[:, self.t])
        self.t += 1
        done = self.t == self.horizon
        success = self.held.all(axis=1)
        if done:
            reward += self.door_reward * success
        terminated = np.full(self.num_envs, done)
        truncated = np.zeros(self.num_envs, dtype=bool)
        info = {"success": success.copy()} if done else {}
        return self._observe(), reward, terminated, truncated, info

    def key_steps(self):
        """The time index of each room's choice step (the critical steps), shape (K,)."""
        return np.arange(self.keys) * self.room_len


class FourRoomsDriftEnv(gymnasium.vector.VectorEnv):
    """A 9 x 9 grid cut into four 4 x 4 rooms by a wall cross (row 4 and column 4) with one doorway
    between each pair of neighbouring rooms. Actions 0..3 move up, right, down, left; a move into a
    wall or off the grid stays put. With probability p(t) (the slip) a uniformly random action replaces
    the chosen one, where

        p(t) = clip(slip_mean + slip_amplitude sin(2 pi t / slip_period) + N(0, slip_sd^2), 0, 0.95)

    is drawn afresh at every step t (a noisy sine, like the official code's NoisySineModulator).
    Each world has two goal cells, one per task, in two different rooms; the task in force is
    (t // phase_steps) % 2 (T1 T2 T1 T2 ...). Reaching the goal of the task in force pays 1 and ends the
    episode; an episode also ends (truncated) after max_steps steps. Episodes start on a random free cell
    that is not the current goal.

    Env copy b lives in world b % worlds. All randomness (goals, slip values, slip draws, the random
    actions, start cells) is drawn per world, so copies in the same world see the same noise.
    The env resets finished episodes itself, in the same step (gymnasium's SAME_STEP autoreset): the
    returned obs is then the new start cell and info["final_obs"] holds the cell the episode ended in.
    Observations are cell indices r * 9 + c (int64, shape (num_envs,)); `cells()` gives (row, col).
    """
    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}
    SIZE = 9
    MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))                     # up, right, down, left
    DOORS = ((1, 4), (6, 4), (4, 1), (4, 6))                       # TL-TR, BL-BR, TL-BL, TR-BR

    def __init__(self, num_envs=1, worlds=None, phase_steps=10_000, slip_mean=0.3, slip_amplitude=0.25,
                 slip_period=20_000, slip_sd=0.05, max_steps=100, seed=None):
        self.num_envs = num_envs
        self.worlds = num_envs if worlds is None else worlds
        self.world = np.arange(num_envs) % self.worlds                              # (num_envs,)
        self.phase_steps, self.max_steps = phase_steps, max_steps
        self.slip_mean, self.slip_amplitude, self.slip_period, self.slip_sd = (
            slip_mean, slip_amplitude, slip_period, slip_sd)
        n = self.SIZE
        self.n_cells = n * n
        wall = np.zeros((n, n), dtype=bool)
        wall[4, :] = True
        wall[:, 4] = True
        for r, c in self.DOORS:
            wall[r, c] = False
        self.wall = wall
        self.free = np.flatnonzero(~wall.ravel())                                   # (68,) free cells
        rows, cols = np.divmod(np.arange(n * n), n)
        self.next_cell = np.empty((n * n, 4), dtype=np.int64)                       # (81, 4) move table
        for a, (dr, dc) in enumerate(self.MOVES):
            r2, c2 = np.clip(rows + dr, 0, n - 1), np.clip(cols + dc, 0, n - 1)
            blocked = wall[r2, c2]
            self.next_cell[:, a] = np.where(blocked, np.arange(n * n), r2 * n + c2)
        room = (rows > 4) * 2 + (cols > 4)                                           # 0 TL, 1 TR, 2 BL, 3 BR
        self.room = np.where(wall.ravel() | (rows == 4) | (cols == 4), -1, room)   # doorways: no room
        self.single_observation_space = gymnasium.spaces.Discrete(n * n)
        self.single_action_space = gymnasium.spaces.Discrete(4)
        self.observation_space = gymnasium.spaces.MultiDiscrete(np.full(num_envs, n * n))
        self.action_space = gymnasium.spaces.MultiDiscrete(np.full(num_envs, 4))
        self.rng = np.random.default_rng(seed)
        self.t = 0

    def cells(self):
        """(row, col) of every cell index, shape (81, 2)."""
        return np.stack(np.divmod(np.arange(self.n_cells), self.SIZE), axis=1)

    def slip(self, t, noise):
        """The slip probability at step t for noise draws `noise` (standard normal, any shape)."""
        p = self.slip_mean + self.slip_amplitude * np.sin(2 * np.pi * t / self.slip_period) + self.slip_sd * noise
        return np.clip(p, 0.0, 0.95)

    def task(self, t=None):
        """The task in force at step t (default: now): 0 for T1, 1 for T2."""
        return ((self.t if t is None else t) // self.phase_steps) % 2

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        W = self.worlds
        rooms = np.stack([self.rng.permutation(4)[:2] for _ in range(W)])          # (W, 2) goal rooms
        self.goals = np.empty((W, 2), dtype=np.int64)                               # (W, 2) goal cells
        for w in range(W):
            for k in range(2):
                self.goals[w, k] = self.rng.choice(np.flatnonzero(self.room == rooms[w, k]))
        self.t = 0
        self.steps = np.zeros(self.num_envs, dtype=np.int64)
        self.pos = self._starts()
        return self.pos.copy(), {}

    def _starts(self):
        """One start cell per world (not the current goal), broadcast to its copies: (num_envs,)."""
        start = self.free[self.rng.integers(0, len(self.free), self.worlds)]        # (W,)
        goal = self.goals[:, self.task()]
        start = np.where(start == goal, self.free[(np.searchsorted(self.free, start) + 1) % len(self.free)], start)
        return start[self.world]

    def step(self, actions):
        actions = np.asarray(actions)
        W = self.worlds
        p = self.slip(self.t, self.rng.standard_normal(W))                          # (W,) slip now
        slipped = (self.rng.random(W) < p)[self.world]                              # (num_envs,)
        random_action = self.rng.integers(0, 4, W)[self.world]
        a = np.where(slipped, random_action, actions)
        self.pos = self.next_cell[self.pos, a]
        goal = self.goals[self.world, self.task()]
        terminated = self.pos == goal
        reward = terminated.astype(np.float32)
        self.steps += 1
        truncated = (self.steps >= self.max_steps) & ~terminated
        self.t += 1
        info = {"slip": p, "final_obs": self.pos.copy()}
        done = terminated | truncated
        starts = self._starts()
        self.pos = np.where(done, starts, self.pos)
        self.steps[done] = 0
        return self.pos.copy(), reward, terminated, truncated, info
