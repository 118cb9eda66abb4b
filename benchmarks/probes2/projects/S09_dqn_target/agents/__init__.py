from .dqn import DQNAgent
from .networks import QNetwork

AGENTS = {"dqn": DQNAgent}


def make_agent(name, obs_dim, n_actions, **kwargs):
    return AGENTS[name](QNetwork(obs_dim, n_actions), n_actions, **kwargs)
