"""Offline evaluation metrics (numpy, sample-weight aware)."""
import numpy as np


def weighted_logloss(y_true, y_pred, sample_weight=None, eps=1e-7):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.clip(np.asarray(y_pred, dtype=np.float64), eps, 1 - eps)
    if sample_weight is None:
        sample_weight = np.ones_like(y_true)
    ll = -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
    return float(np.sum(ll * sample_weight) / np.sum(sample_weight))


def auc(y_true, y_score):
    y_true = np.asarray(y_true)
    order = np.argsort(y_score)
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    pos = y_true == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    if n_pos == 0 or n_neg == 0:
        return 0.5
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
