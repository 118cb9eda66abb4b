"""Entire Space Multi-task Model (Ma et al., 2018): pCTCVR = pCTR * pCVR."""
import torch
import torch.nn as nn

from .towers import FeatureEmbedding, MLPTower


class ESMM(nn.Module):
    def __init__(self, field_dims, embed_dim=8, hidden=(32, 16)):
        super().__init__()
        self.embedding = FeatureEmbedding(field_dims, embed_dim)
        self.ctr_tower = MLPTower(self.embedding.output_dim, hidden)
        self.cvr_tower = MLPTower(self.embedding.output_dim, hidden)

    def forward(self, x):
        emb = self.embedding(x)
        p_ctr = torch.sigmoid(self.ctr_tower(emb))
        p_cvr = torch.sigmoid(self.cvr_tower(emb))
        return {"p_ctr": p_ctr, "p_cvr": p_cvr, "p_ctcvr": p_ctr * p_cvr}
