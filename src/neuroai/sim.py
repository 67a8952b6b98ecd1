"""A body in a physics simulator, for the lessons of the embodiment module.

A small MuJoCo body written in code (MJCF), wrapped as a gymnasium environment, rendered headless, and
turned into pictures for the notebook and the book:

    swimmer_xml(link_lengths)          the MJCF text of an N-link swimmer in a viscous fluid
    SwimmerEnv / make_swimmer(...)     a gymnasium environment ("neuroai/Swimmer-v0"), its body a parameter
    rollout(env, actions, seed)        run an action sequence (T, J), return the trajectory as arrays
    rollout_batch(xml, actions, seeds) the same for many episodes at once, in MuJoCo's C rollout loop
    render_frames(xml, qpos)           replay a trajectory's positions as RGB frames (MUJOCO_GL=egl)
    frame_strip(frames) / animation_html(frames) / trajectory_figure(qpos)   pictures of a rollout
    show_rollout(xml, qpos)            the animation where rendering works, a trajectory plot where not

The body, not the policy, lives here: a controller is an array of actions, made in the lesson. The
swimmer follows gymnasium's Swimmer (3 capsules joined by 2 hinges, pushing against a viscous fluid,
rewarded for forward speed), with link lengths that a lesson can change, so body and controller can be
optimized together. Rendering replays positions through mj_forward, so a picture never changes a
simulation, and a machine without OpenGL gets a clear message and a plot instead of a crash.
"""
import base64
import io
import os

os.environ.setdefault("MUJOCO_GL", "egl")   # headless OpenGL; must be set before mujoco is imported

import gymnasium as gym
import matplotlib.pyplot as plt
import mujoco
import numpy as np
from gymnasium.utils import seeding
from mujoco import rollout as mj_rollout

ENV_ID = "neuroai/Swimmer-v0"


def swimmer_xml(link_lengths=(1.0, 1.0, 1.0), radius=0.1, gear=150.0, viscosity=0.1, density=4000.0):
    """MJCF of a planar swimmer: len(link_lengths) capsules joined head to tail by hinge motors.

    The body slides and turns freely in the plane (x, y, heading: qpos[0:3]); joint j bends link j+1
    against link j (qpos[3 + j]). Physics as gymnasium's Swimmer (a fluid of the given density and
    viscosity in MuJoCo's inertia-based model, motors with torque gear * ctrl, RK4), but with one 40 ms
    physics step per action where gymnasium takes four of 10 ms: 4x faster; gaits and speeds change
    by a few percent.
    """
    def link(i):
        length = float(link_lengths[i])
        inner = "" if i + 1 == len(link_lengths) else link(i + 1)
        joint = "" if i == 0 else (f'<joint name="joint{i}" type="hinge" axis="0 0 1" limited="true" '
                                   f'range="-100 100"/>')
        return (f'<body name="link{i}" pos="{0.0 if i == 0 else -float(link_lengths[i - 1])} 0 0">{joint}'
                f'<geom type="capsule" size="{radius}" fromto="0 0 0 {-length} 0 0" density="1000" '
                f'rgba="{0.85 - 0.15 * i} 0.55 0.35 1"/>{inner}</body>')
    root = link(0).replace('<body name="link0" pos="0.0 0 0">', (
        '<body name="link0" pos="0 0 0">'
        '<camera name="track" mode="trackcom" pos="0 -3.5 3.5" xyaxes="1 0 0 0 1 1"/>'
        '<joint name="slide_x" type="slide" axis="1 0 0"/><joint name="slide_y" type="slide" axis="0 1 0"/>'
        '<joint name="heading" type="hinge" axis="0 0 1"/>'), 1)
    motors = "".join(f'<motor joint="joint{j}" gear="{gear}" ctrllimited="true" ctrlrange="-1 1"/>'
                     for j in range(1, len(link_lengths)))
    return f"""<mujoco model="swimmer">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option density="{density}" viscosity="{viscosity}" integrator="RK4" timestep="0.04"/>
  <default><geom contype="0" conaffinity="0" condim="1"/><joint armature="0.1"/></default>
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1="0.2 0.3 0.4" rgb2="0.3 0.4 0.5" width="300" height="300"/>
    <material name="grid" texture="grid" texrepeat="60 60" reflectance="0.1"/>
  </asset>
  <worldbody>
    <light pos="0 0 5" dir="0 0 -1" directional="true"/>
    <geom name="floor" type="plane" pos="0 0 -0.1" size="40 40 0.1" material="grid"/>
    {root}
  </worldbody>
  <sensor><subtreecom name="com" body="link0"/></sensor>
  <actuator>{motors}</actuator>
</mujoco>"""


def initial_pose(model, data, rng, noise):
    """The start of an episode: every position and velocity uniform in [-noise, noise]."""
    data.qpos[:] = rng.uniform(-noise, noise, model.nq)
    data.qvel[:] = rng.uniform(-noise, noise, model.nv)


class SwimmerEnv(gym.Env):
    """gymnasium environment of the swimmer: action (J,) in [-1, 1] (motor commands), observation the
    joint angles, heading and all velocities (as gymnasium's Swimmer: no position in the plane),
    reward the forward speed (dx / dt of the centre of mass) minus ctrl_cost * |action|^2.

    One step is `frame_skip` physics steps of 40 ms (dt = 0.04 s by default). reset(seed) starts near
    the straight pose with uniform noise of size reset_noise. `info` carries the full qpos and the
    centre of mass, so a trajectory can be analysed and replayed.
    """
    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(self, link_lengths=(1.0, 1.0, 1.0), frame_skip=1, ctrl_cost=1e-4, reset_noise=0.1,
                 max_steps=1000, render_mode=None, width=320, height=240):
        self.xml = swimmer_xml(link_lengths)
        self.model = mujoco.MjModel.from_xml_string(self.xml)
        self.data = mujoco.MjData(self.model)
        self.frame_skip, self.ctrl_cost, self.reset_noise = frame_skip, ctrl_cost, reset_noise
        self.max_steps, self.render_mode, self.size = max_steps, render_mode, (height, width)
        self.dt = self.model.opt.timestep * frame_skip
        J = self.model.nu
        self.action_space = gym.spaces.Box(-1.0, 1.0, (J,), dtype=np.float64)
        n_obs = self.model.nq - 2 + self.model.nv
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n_obs,), dtype=np.float64)
        self._renderer = None

    def _obs(self):
        return np.concatenate([self.data.qpos[2:], self.data.qvel]).copy()

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        initial_pose(self.model, self.data, self.np_random, self.reset_noise)
        mujoco.mj_forward(self.model, self.data)
        self.t = 0
        return self._obs(), {"qpos": self.data.qpos.copy(), "com": self.data.subtree_com[1].copy()}

    def step(self, action):
        action = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        x_before = self.data.subtree_com[1, 0]
        self.data.ctrl[:] = action
        mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        mujoco.mj_kinematics(self.model, self.data)   # mj_step leaves positions one step ahead of
        mujoco.mj_comPos(self.model, self.data)       # the derived quantities: refresh the centre of mass
        self.t += 1
        com = self.data.subtree_com[1].copy()
        speed = (com[0] - x_before) / self.dt
        reward = speed - self.ctrl_cost * float(action @ action)
        return (self._obs(), reward, False, self.t >= self.max_steps,
                {"qpos": self.data.qpos.copy(), "com": com, "forward_speed": speed})

    def render(self):
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, *self.size)
        self._renderer.update_scene(self.data, camera="track")
        return self._renderer.render()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point=SwimmerEnv, max_episode_steps=None)


def make_swimmer(link_lengths=(1.0, 1.0, 1.0), **kwargs):
    """The swimmer through gymnasium's registry (no checker wrappers: rollouts stay fast)."""
    return gym.make(ENV_ID, link_lengths=tuple(float(x) for x in link_lengths), disable_env_checker=True,
                    **kwargs)


def rollout(env, actions, seed=0):
    """Run the action sequence `actions` (T, J) from env.reset(seed=seed).

    Returns a dict of numpy arrays: qpos (T + 1, nq) (x, y of the head, heading, joint angles),
    com (T + 1, 3) (the centre of mass), reward (T,), forward_speed (T,), and dt (a float), the time
    between rows of qpos.
    """
    actions = np.asarray(actions, dtype=np.float64)
    _, info = env.reset(seed=int(seed))
    qpos, com, reward, speed = [info["qpos"]], [info["com"]], [], []
    for a in actions:                                            # (J,) one motor command per joint
        _, r, _, _, info = env.step(a)
        qpos.append(info["qpos"])
        com.append(info["com"])
        reward.append(r)
        speed.append(info["forward_speed"])
    return {"qpos": np.stack(qpos), "com": np.stack(com), "reward": np.array(reward),
            "forward_speed": np.array(speed), "dt": float(env.unwrapped.dt)}


def rollout_batch(xml, actions, seeds, reset_noise=0.1):
    """Run episode b with the actions (T, J) = actions[b] from the start env.reset(seed=seeds[b]) would
    make, all in MuJoCo's C rollout loop (no Python per step: a few times faster than `rollout`,
    with the same numbers). actions: (B, T, J). Returns qpos (B, T + 1, nq) and com (B, T + 1, 3)."""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    start = np.zeros((len(seeds), mujoco.mj_stateSize(model, spec)))
    com0 = np.zeros((len(seeds), 3))
    for b, seed in enumerate(seeds):
        mujoco.mj_resetData(model, data)
        initial_pose(model, data, seeding.np_random(int(seed))[0], reset_noise)
        mujoco.mj_forward(model, data)
        mujoco.mj_getState(model, data, start[b], spec)
        com0[b] = data.subtree_com[1]
    state, sensor = mj_rollout.rollout(model, data, start, np.asarray(actions, dtype=np.float64))
    # state[:, t] is the state after step t + 1; the sensor (the centre of mass) is read at the start of
    # each step, so sensor[:, t] belongs to the state before step t + 1: shift it by one.
    nq = model.nq
    qpos = np.concatenate([start[:, None, 1:1 + nq], state[:, :, 1:1 + nq]], 1)    # (B, T + 1, nq)
    last = np.zeros((len(seeds), 3))
    for b in range(len(seeds)):
        mujoco.mj_setState(model, data, state[b, -1], spec)
        mujoco.mj_kinematics(model, data)
        mujoco.mj_comPos(model, data)
        last[b] = data.subtree_com[1]
    com = np.concatenate([com0[:, None], sensor[:, 1:], last[:, None]], 1)          # (B, T + 1, 3)
    return {"qpos": qpos, "com": com}


def render_frames(xml, qpos, every=5, width=320, height=240, camera="track"):
    """Replay the positions qpos (T, nq) of the body `xml` and render every `every`-th one.

    Returns a list of (height, width, 3) uint8 frames. Raises RuntimeError with a readable message when
    no OpenGL context can be made (no EGL driver, say): callers fall back to trajectory_figure.
    """
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    try:
        renderer = mujoco.Renderer(model, height, width)
    except Exception as err:   # mujoco raises several kinds here, depending on the GL backend
        raise RuntimeError(f"MuJoCo cannot render here (MUJOCO_GL={os.environ.get('MUJOCO_GL')}): {err}") from err
    frames = []
    try:
        for q in np.asarray(qpos)[::every]:
            data.qpos[:] = q
            mujoco.mj_forward(model, data)
            renderer.update_scene(data, camera=camera)
            frames.append(renderer.render().copy())
    finally:
        renderer.close()
    return frames


def frame_strip(frames, n=6, dt=None, every=1, title=None):
    """A figure of n frames picked evenly from `frames`, left to right (time under each if dt given)."""
    idx = np.linspace(0, len(frames) - 1, n).round().astype(int)
    fig, axes = plt.subplots(1, n, figsize=(2.2 * n, 2.0))
    for ax, i in zip(np.atleast_1d(axes), idx):
        ax.imshow(frames[i])
        ax.set_axis_off()
        if dt is not None:
            ax.set_title(f"t = {i * every * dt:.1f} s", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def animation_html(frames, fps=12):
    """An inline, offline animation: the frames as a looping GIF (Pillow) inside an HTML <img> tag."""
    from PIL import Image
    images = [Image.fromarray(f) for f in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=int(1000 / fps), loop=0)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/gif;base64,{data}" alt="swimmer rollout"/>'


def trajectory_figure(qpos, dt, title=None):
    """The rendering-free picture of a rollout: the head's path in the plane and the joint angles."""
    qpos = np.asarray(qpos)
    t = np.arange(len(qpos)) * dt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    axes[0].plot(qpos[:, 0], qpos[:, 1])
    axes[0].set_xlabel("x (m)")
    axes[0].set_ylabel("y (m)")
    axes[0].set_title("path of the head")
    axes[0].set_aspect("equal", adjustable="datalim")
    for j in range(3, qpos.shape[1]):
        axes[1].plot(t, qpos[:, j], label=f"joint {j - 2}")
    axes[1].set_xlabel("time (s)")
    axes[1].set_ylabel("angle (rad)")
    axes[1].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_rollout(xml, qpos, dt, every=5, title=None, animate=True):
    """Show a rollout in a notebook: an animation and a frame strip where MuJoCo can render, else a
    message and trajectory_figure. Returns the figure it drew."""
    from IPython.display import HTML, display
    try:
        frames = render_frames(xml, qpos, every=every)
    except RuntimeError as err:
        print(f"{err}\nShowing the trajectory instead of the rendered body.")
        fig = trajectory_figure(qpos, dt, title)
        plt.show()
        return fig
    if animate:
        display(HTML(animation_html(frames, fps=max(1, round(1 / (dt * every))))))
    fig = frame_strip(frames, dt=dt, every=every, title=title)
    plt.show()
    return fig
