import json

import pytest
import torch
from torch import nn

from pokegen.errors import RunError
from pokegen.training.checkpoint import (
    load_checkpoint,
    module_state,
    restore_optimizer,
    save_checkpoint,
)


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))


def _trained(net: nn.Module) -> torch.optim.Optimizer:
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(16, 4)).square().mean().backward()
        opt.step()
    return opt


def test_round_trip_restores_weights_buffers_optimizer_and_extras(tmp_path):
    net = _net()
    opt = _trained(net)
    rng = torch.Generator().manual_seed(5)
    save_checkpoint(
        tmp_path / "last",
        {"model.net": net},
        {"net": opt},
        {"rng": rng.get_state()},
        {"step": 3, "epoch": 1},
    )

    tensors, doc = load_checkpoint(tmp_path / "last.json")
    fresh = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    fresh.load_state_dict(module_state(tensors, "model.net"))
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=1e-2)
    restore_optimizer(fresh_opt, "net", tensors, doc)

    x = torch.randn(5, 4)
    net.eval(), fresh.eval()
    assert torch.equal(net(x), fresh(x))
    assert doc["state"] == {"step": 3, "epoch": 1}
    # The optimiser continues identically: one more step on both gives equal weights.
    net.train(), fresh.train()
    for model, o in ((net, opt), (fresh, fresh_opt)):
        o.zero_grad()
        model(torch.ones(16, 4)).sum().backward()
        o.step()
    for a, b in zip(net.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(a, b)
    restored = torch.Generator()
    restored.set_state(tensors["extra/rng"])
    assert torch.equal(torch.randn(3, generator=restored), torch.randn(3, generator=rng))


def test_no_temporary_files_are_left_and_json_names_the_weights(tmp_path):
    save_checkpoint(tmp_path / "c", {"model.net": _net()}, {}, {}, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "c.safetensors"]
    assert json.loads((tmp_path / "c.json").read_text())["weights"] == "c.safetensors"


def test_mismatched_or_corrupt_weights_are_reported_not_loaded(tmp_path):
    save_checkpoint(tmp_path / "c", {"model.net": _net()}, {}, {}, {})
    weights = tmp_path / "c.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(RunError, match="does not match"):
        load_checkpoint(tmp_path / "c.json")
    with pytest.raises(RunError, match="corrupt"):
        load_checkpoint(tmp_path / "c.json", verify=False)
    with pytest.raises(RunError, match="not found"):
        load_checkpoint(tmp_path / "missing.json")


def test_checkpoint_file_is_not_a_pickle(tmp_path):
    save_checkpoint(tmp_path / "c", {"model.net": _net()}, {}, {}, {})
    head = (tmp_path / "c.safetensors").read_bytes()[:16]
    assert not head.startswith(b"\x80")  # pickle protocol marker
    assert b"PK" not in head[:4]  # torch.save zip container
