"""Feature spaces for the set-level metrics, and batched extraction into them.

Without Inception weights (offline), precision/recall, density/coverage and diversity are
measured in the embedding of a fixed, seeded, randomly initialised conv net: Naeem et al.
(2020, "Reliable Fidelity and Diversity Metrics for Generative Models") show random
embeddings are usable for such metrics. Numbers are only comparable within one space,
so every result names the space it was computed in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pokegen.evaluation.images import resize, to_rgb_uint8


class RandomConvFeatures(nn.Module):
    """A fixed random-weight conv net: uint8 RGB [B, 3, H, W] → features [B, 960].

    Four 3×3 conv + ReLU stages (32, 64, 128, 256 channels, 2× average pooling between
    stages) on inputs resized to 64 px. Every stage contributes its global average and
    global max, scaled by 1/√dim so each stage weighs equally in L2: the early stages make
    the space sensitive to blur, which the last stage alone hardly sees.
    """

    def __init__(self, seed: int = 0, size: int = 64, widths: tuple[int, ...] = (32, 64, 128, 256)):
        super().__init__()
        self.size = size
        self.seed = seed
        self.num_features = 2 * sum(widths)  # global average + max per stage
        self.name = f"random-conv-{self.num_features} (seed {seed})"
        gen = torch.Generator().manual_seed(seed)
        self.stages = nn.ModuleList()
        c_in = 3
        for c_out in widths:
            conv = nn.Conv2d(c_in, c_out, 3, padding=1)
            with torch.no_grad():  # He-normal weights keep activations O(1) through the ReLUs
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen))
                conv.weight.mul_((2.0 / (c_in * 9)) ** 0.5)
                conv.bias.zero_()
            self.stages.append(conv)
            c_in = c_out
        self.requires_grad_(False)
        self.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images uint8 (or float [-1, 1]) → L2-comparable features [B, num_features]."""
        x = images.float() / 127.5 - 1.0 if images.dtype == torch.uint8 else images.float()
        h = resize(x[:, :3], self.size)  # [B, 3, 64, 64]
        parts = []
        for i, conv in enumerate(self.stages):
            if i > 0:
                h = F.avg_pool2d(h, 2)
            h = F.relu(conv(h))  # [B, C_i, s_i, s_i]
            pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)  # [B, 2 C_i]
            parts.append(pooled / pooled.shape[1] ** 0.5)
        return torch.cat(parts, dim=1)

    def train(self, mode: bool = True) -> RandomConvFeatures:
        """Stay in eval mode: the features are a fixed function."""
        return super().train(False)


def feature_space_name(module: nn.Module) -> str:
    """The human-readable name a result should carry for this feature extractor."""
    return str(getattr(module, "name", type(module).__name__))


@torch.inference_mode()
def extract_features(
    module: nn.Module,
    images: torch.Tensor,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Features [N, D] (float64, CPU) of images in any accepted format, computed in batches."""
    images = to_rgb_uint8(images)
    module = module.to(device).eval()
    out = [
        module(images[i : i + batch_size].to(device)).double().cpu()
        for i in range(0, images.shape[0], batch_size)
    ]
    return torch.cat(out) if out else torch.zeros(0, int(getattr(module, "num_features", 0)))
