"""neuroai.sim: a MuJoCo body as a gymnasium environment, its rollouts, figures and rendering."""
import math

import numpy as np
import pytest
import torch

from neuroai import sim

F64 = torch.float64


def test_swimmer_is_a_gymnasium_env_and_seeded():
    env = sim.make_swimmer()
    obs, info = env.reset(seed=3)
    assert env.action_space.shape == (2,) and obs.shape == env.observation_space.shape
    actions = np.tile([[0.5, -0.5]], (20, 1))
    a, b = sim.rollout(env, actions, seed=3), sim.rollout(env, actions, seed=3)
    c = sim.rollout(env, actions, seed=4)
    assert a["qpos"].shape == (21, 5) and a["com"].shape == (21, 3) and a["reward"].shape == (20,)
    assert np.array_equal(a["qpos"], b["qpos"]) and not np.array_equal(a["qpos"], c["qpos"])
    assert math.isclose(a["dt"], 0.04)
    env.close()


def test_the_body_is_a_parameter():
    short_head = sim.make_swimmer((0.5, 1.25, 1.25)).unwrapped.model
    default = sim.make_swimmer().unwrapped.model
    assert short_head.nu == default.nu == 2
    assert not np.allclose(short_head.body_pos, default.body_pos)
    four_links = sim.make_swimmer((0.75, 0.75, 0.75, 0.75)).unwrapped
    assert four_links.action_space.shape == (3,) and four_links.model.nq == 6


def test_a_travelling_wave_swims_forward_and_a_still_body_does_not():
    env = sim.make_swimmer()
    t = torch.arange(300, dtype=F64) * 0.04
    lag = torch.arange(2, dtype=F64) * 1.0                           # a travelling wave, head to tail
    wave = sim.rollout(env, (0.7 * torch.sin(2 * math.pi * 0.5 * t[:, None] - lag)).numpy(), seed=0)
    still = sim.rollout(sim.make_swimmer(reset_noise=0.0), np.zeros((300, 2)), seed=0)
    assert wave["com"][-1, 0] - wave["com"][0, 0] > 1.0          # metres in 12 s
    assert np.abs(still["com"][-1] - still["com"][0]).max() < 1e-9
    assert np.isclose(wave["forward_speed"].mean(), (wave["com"][-1, 0] - wave["com"][0, 0]) / 12)


def test_trajectory_figure_and_animation_without_a_renderer(monkeypatch):
    qpos = np.zeros((30, 5))
    fig = sim.trajectory_figure(qpos, 0.04, "still")
    assert len(fig.axes) == 2
    html = sim.animation_html([np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)])
    assert html.startswith('<img src="data:image/gif;base64,')

    def no_gl(*args, **kwargs):
        raise RuntimeError("no OpenGL here")
    monkeypatch.setattr(sim, "render_frames", no_gl)
    fig = sim.show_rollout(sim.swimmer_xml(), qpos, 0.04, animate=False)   # falls back to the plot
    assert len(fig.axes) == 2


def test_rendering_where_egl_works():
    try:
        frames = sim.render_frames(sim.swimmer_xml(), np.zeros((3, 5)), every=1, width=64, height=48)
    except RuntimeError as err:
        pytest.skip(f"no OpenGL on this machine: {err}")
    assert len(frames) == 3 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    assert frames[0].std() > 0                                          # not a blank image
