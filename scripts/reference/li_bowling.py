#!/usr/bin/env python3
"""PyTorch reference for Koine's Li & Bowling game: one training iteration,
timed.

The game and the agents are those of configs/li-bowling/reset.yaml (and of the
population configs when --listeners > 1):

  objects     all 8 x 4 = 32 objects, each a 12-wide vector (two one-hots)
  game        a target and 4 distinct distractors, shuffled into 5 positions
  speaker     shared object encoder Linear(12 -> 100) gives the LSTM cell's
              initial hidden state (cell state zero); step 0 reads a learned
              start embedding, step t > 0 the embedding of the symbol sampled at
              t - 1; Linear(100 -> 8) -> categorical sample; 2 symbols
  listener    Embedding(8 -> 100) -> LSTM cell over the 2 symbols ->
              Linear(100 -> 100) query; each candidate is encoded by the same
              shared object encoder; score = dot(query, candidate);
              categorical sample over the 5 candidates
  learning    reward 1 when the listener picks the target; REINFORCE with a
              running-mean baseline per agent (b += 0.01 (mean reward - b)) and
              entropy bonus 0.1 for both roles; the speaker's reward for a game
              is the mean over the N listeners, which all hear the same message;
              Adam lr 1e-3 for every module; one optimizer step per iteration
  batch       100 games per listener per iteration

Written to be a strong baseline, not a slow one:

  * batches come from vectorised tensor ops (randint / rand().argsort), never a
    Python loop over games;
  * the shared object encoder runs once per iteration over the 32 objects, and
    games read rows of that table (exactly what a per-game encoder computes);
  * the N listeners are batched: their parameters are stacked along a leading
    listener axis and every product is one batched matmul (torch.baddbmm), so
    10 listeners cost a handful of wide kernels instead of 10x the Python and
    dispatch overhead. Adam is elementwise, so one Adam over the stacked
    tensors is exactly N independent Adams. `--listener-mode loop` runs the
    textbook version instead (one nn.Module per listener with nn.LSTMCell, a
    Python loop over listeners) for comparison;
  * the listener's first LSTM step starts from a zero state, so the batched
    cell skips its h·W_hh product (the loop mode, using nn.LSTMCell, does not);
  * rows are gathered with index_select (its backward is an index_add,
    cheaper than the index_put that tensor[indices] uses);
  * no torch.distributions objects (their argument checks cost more than the
    maths at these sizes): log_softmax, multinomial and the entropy directly;
  * Adam with fused=True where the installed torch supports it on CPU, else
    foreach.

Usage:
  python li_bowling.py --listeners 10 --steps 200 --warmup 20 --threads 1 --json
prints {"listeners": 10, "threads": 1, "iterations_per_second": ...,
        "games_per_second": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch

import torch.nn as nn
import torch.nn.functional as F
from torchflops import torch_flop_count  # noqa: E402

ATTRIBUTES = (8, 4)
VOCAB = 8
LENGTH = 2
CANDIDATES = 5
BATCH = 100
HIDDEN = 100
ENTROPY = 0.1
LR = 1e-3
BASELINE_RATE = 0.01


def object_space() -> torch.Tensor:
    """All 32 objects as concatenated one-hots, 32 x 12."""
    rows = []
    for colour in range(ATTRIBUTES[0]):
        for shape in range(ATTRIBUTES[1]):
            row = torch.zeros(sum(ATTRIBUTES))
            row[colour] = 1
            row[ATTRIBUTES[0] + shape] = 1
            rows.append(row)
    return torch.stack(rows)


@torch.no_grad()
def sample_games(objects: int, batch: int, candidates: int):
    """Targets, candidate object indices (batch x candidates, shuffled) and the
    target's position among them. All vectorised."""
    targets = torch.randint(objects, (batch,))
    # Distractors: the first candidates-1 of a random permutation of the
    # other objects-1 indices, shifted past the target.
    distractors = torch.rand(batch, objects - 1).argsort(dim=1)[:, : candidates - 1]
    distractors += (distractors >= targets[:, None]).long()
    unshuffled = torch.cat([targets[:, None], distractors], dim=1)
    order = torch.rand(batch, candidates).argsort(dim=1)
    cands = unshuffled.gather(1, order)
    target_positions = order.argmin(dim=1)  # where column 0 (the target) went
    return targets, cands, target_positions


def categorical(logits: torch.Tensor):
    """Sample one action per row; return actions, log p(action), entropy."""
    logp = F.log_softmax(logits, dim=-1)
    p = logp.exp()
    actions = torch.multinomial(p.detach().reshape(-1, p.shape[-1]), 1).reshape(p.shape[:-1])
    chosen = logp.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    entropy = -(p * logp).sum(-1)
    return actions, chosen, entropy


class Speaker(nn.Module):
    def __init__(self):
        super().__init__()
        self.start = nn.Parameter(torch.randn(HIDDEN) * 0.1)
        self.embedding = nn.Embedding(VOCAB, HIDDEN)
        self.cell = nn.LSTMCell(HIDDEN, HIDDEN)
        self.output = nn.Linear(HIDDEN, VOCAB)

    def forward(self, h0: torch.Tensor):
        """h0: batch x hidden (the targets' encodings). Returns the symbols
        (length x batch), and summed log p and entropy over the steps."""
        h, c = h0, torch.zeros_like(h0)
        x = self.start.expand_as(h0)
        symbols, logps, entropies = [], [], []
        for _ in range(LENGTH):
            h, c = self.cell(x, (h, c))
            s, lp, ent = categorical(self.output(h))
            symbols.append(s)
            logps.append(lp)
            entropies.append(ent)
            x = self.embedding(s)
        return torch.stack(symbols), torch.stack(logps).sum(0), torch.stack(entropies).sum(0)


class Listener(nn.Module):
    """One listener, textbook style (used by --listener-mode loop)."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, HIDDEN)
        self.cell = nn.LSTMCell(HIDDEN, HIDDEN)
        self.query = nn.Linear(HIDDEN, HIDDEN)

    def forward(self, symbols: torch.Tensor, candidates: torch.Tensor):
        """symbols: length x batch; candidates: batch x k x hidden encodings."""
        state = None
        for t in range(LENGTH):
            state = self.cell(self.embedding(symbols[t]), state)
        q = self.query(state[0])
        scores = torch.bmm(candidates, q.unsqueeze(-1)).squeeze(-1)
        return categorical(scores)


class Listeners(nn.Module):
    """N listeners with stacked parameters (leading axis = listener); the same
    maths as N `Listener`s, run as batched matmuls."""

    def __init__(self, n: int):
        super().__init__()
        bound = 1 / math.sqrt(HIDDEN)  # nn.LSTMCell / nn.Linear initialisation

        def uniform(*shape):
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

        self.embedding = nn.Parameter(torch.randn(n, VOCAB, HIDDEN))  # nn.Embedding's N(0, 1)
        self.w_ih = uniform(n, HIDDEN, 4 * HIDDEN)  # stored input-major for baddbmm
        self.w_hh = uniform(n, HIDDEN, 4 * HIDDEN)
        self.b = uniform(n, 1, 4 * HIDDEN)  # b_ih + b_hh folded into one
        self.w_q = uniform(n, HIDDEN, HIDDEN)
        self.b_q = uniform(n, 1, HIDDEN)
        self.n = n

    @staticmethod
    def _cell(gates: torch.Tensor, c: torch.Tensor | None):
        i, f, g, o = gates.chunk(4, dim=-1)
        i, g, o = torch.sigmoid(i), torch.tanh(g), torch.sigmoid(o)
        c = i * g if c is None else torch.sigmoid(f) * c + i * g
        return o * torch.tanh(c), c

    def forward(self, symbols: torch.Tensor, candidates: torch.Tensor):
        """symbols: length x batch (one message heard by every listener);
        candidates: batch x k x hidden. Returns actions, log p, entropy, each
        listeners x batch."""
        # Step 0 starts from h = c = 0: no h·W_hh product.
        x = self.embedding.index_select(1, symbols[0])  # n x batch x hidden
        h, c = self._cell(torch.baddbmm(self.b, x, self.w_ih), None)
        for t in range(1, LENGTH):
            x = self.embedding.index_select(1, symbols[t])
            gates = torch.baddbmm(torch.baddbmm(self.b, x, self.w_ih), h, self.w_hh)
            h, c = self._cell(gates, c)
        q = torch.baddbmm(self.b_q, h, self.w_q)  # n x batch x hidden
        scores = torch.einsum("nbh,bkh->nbk", q, candidates)
        return categorical(scores)


class Game:
    """All agents of one population and one training iteration."""

    def __init__(self, listeners: int, mode: str):
        self.objects = object_space()
        self.encoder = nn.Linear(self.objects.shape[1], HIDDEN)  # shared object encoder
        self.speaker = Speaker()
        self.mode = mode
        if mode == "batched":
            self.listeners = Listeners(listeners)
            listener_params = list(self.listeners.parameters())
        else:
            self.listeners = nn.ModuleList(Listener() for _ in range(listeners))
            listener_params = list(self.listeners.parameters())
        self.n = listeners
        self.speaker_baseline = torch.zeros(())
        self.listener_baselines = torch.zeros(listeners, 1)
        params = list(self.encoder.parameters()) + list(self.speaker.parameters()) + listener_params
        # Same learning rate everywhere: one Adam over all modules is the same
        # as one Adam per module (Adam's update is elementwise).
        try:
            self.optimizer = torch.optim.Adam(params, lr=LR, fused=True)
            self.optimizer_kind = "fused"
        except (RuntimeError, TypeError):
            self.optimizer = torch.optim.Adam(params, lr=LR, foreach=True)
            self.optimizer_kind = "foreach"
        self.accuracy = 0.0

    def step(self) -> torch.Tensor:
        targets, cands, positions = sample_games(self.objects.shape[0], BATCH, CANDIDATES)
        table = self.encoder(self.objects)  # 32 x hidden, once per iteration
        symbols, speaker_logp, speaker_entropy = self.speaker(table.index_select(0, targets))
        symbols = symbols.detach()
        candidates = table.index_select(0, cands.flatten()).view(*cands.shape, -1)  # batch x k x hidden

        if self.mode == "batched":
            choices, logp, entropy = self.listeners(symbols, candidates)
        else:
            outs = [listener(symbols, candidates) for listener in self.listeners]
            choices, logp, entropy = (torch.stack(x) for x in zip(*outs))
        rewards = (choices == positions).float()  # listeners x batch

        # Listeners: REINFORCE with their own baselines, entropy bonus; each
        # listener's loss is a mean over its games.
        advantage = rewards - self.listener_baselines
        listener_loss = -(advantage * logp + ENTROPY * entropy).mean(1).sum()
        # Speaker: reward = mean over listeners of the game.
        speaker_rewards = rewards.mean(0)
        speaker_loss = -((speaker_rewards - self.speaker_baseline) * speaker_logp
                         + ENTROPY * speaker_entropy).mean()

        self.optimizer.zero_grad(set_to_none=True)
        (listener_loss + speaker_loss).backward()
        self.optimizer.step()

        with torch.no_grad():
            self.listener_baselines += BASELINE_RATE * (rewards.mean(1, keepdim=True) - self.listener_baselines)
            self.speaker_baseline += BASELINE_RATE * (speaker_rewards.mean() - self.speaker_baseline)
        return rewards


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=1)
    parser.add_argument("--steps", type=int, default=200, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=20, help="untimed iterations first")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--listener-mode", choices=["batched", "loop"], default="batched")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", action="store_true",
                        help="print the accuracy every 1000 steps (a check that it learns)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.listeners < 1 or args.steps < 1 or args.warmup < 0 or args.threads < 1:
        parser.error("--listeners, --steps, --threads must be >= 1 and --warmup >= 0")

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    game = Game(args.listeners, args.listener_mode)

    for _ in range(args.warmup):
        game.step()
    wins = 0.0
    start = time.perf_counter()
    for i in range(args.steps):
        rewards = game.step()
        if args.train:
            wins += rewards.mean().item()
            if (i + 1) % 1000 == 0:
                print(f"step {i + 1}: accuracy {wins / 1000:.3f}", file=sys.stderr, flush=True)
                wins = 0.0
    elapsed = time.perf_counter() - start

    ips = args.steps / elapsed
    result = {
        "listeners": args.listeners,
        "threads": args.threads,
        "listener_mode": args.listener_mode,
        "steps": args.steps,
        "seconds": round(elapsed, 4),
        "iterations_per_second": round(ips, 3),
        "games_per_second": round(ips * BATCH * args.listeners, 1),
        "torch": torch.__version__,
        "optimizer": game.optimizer_kind,
        "flops_per_iteration": torch_flop_count(game.step),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.listeners} listener(s), {args.threads} thread(s), {args.listener_mode}: "
              f"{ips:.1f} iterations/s, {ips * BATCH * args.listeners:.0f} games/s "
              f"(torch {torch.__version__}, Adam {game.optimizer_kind})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
