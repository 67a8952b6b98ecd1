"""Environments for the reinforcement-learning lessons, with the gymnasium API.

KeyChainEnv is a vectorized "multi-key-to-door" task after the key-to-door tasks of Sun et al. (2022,
ConSpec): success hinges on a few critical choices far from the reward, between which the agent
collects distractor rewards. It steps many episodes at once with numpy (one array operation per step
for all of them), which is what lets an agent train on two CPU cores in seconds.

    env = KeyChainEnv(num_envs=64, seed=0)
    obs, info = env.reset()                          # obs: (num_envs, obs_dim) float32
    obs, reward, terminated, truncated, info = env.step(actions)   # actions: (num_envs,) ints in 0..2
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
