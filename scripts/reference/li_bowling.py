#!/usr/bin/env python3
"""PyTorch reference for Koine's Li & Bowling game: one training iteration of
the faithful model, timed.

The model is the one configs/li-bowling/*.yaml give Koine (agents.symbol_input:
one_hot, agents.encoder: private, agents.baseline: none; 1 listener as in
no-reset.yaml and reset.yaml, 10 with pairing `all` as in the population
configs), which is Li & Bowling's:

  objects     all 8 x 4 = 32 objects, each a 12-wide vector (two one-hots)
  game        a target drawn uniformly and 4 distinct distractors, shuffled
              into 5 positions; 100 games per iteration. Pairing `all`: every
              listener plays all 100 games of the speaker, hearing the same
              message and seeing the same 5 candidates of each game
  encoders    private: the speaker and every listener has its own object
              encoder Linear(12 -> 100), reset with its agent. Each runs once
              per iteration over the 32 objects (a table; games read its rows)
  speaker     LSTM cell (hidden 100, one bias vector, gates i, f, g, o),
              h0 = its own encoding of the target, c0 = 0; step 0 reads an
              all-zero start vector, step t > 0 the one-hot (width 8, no
              embedding) of the symbol sampled at t - 1; Linear(100 -> 8) ->
              categorical sample; 2 symbols
  listener    LSTM cell reading the message's one-hot symbols from h = c = 0
              -> Linear(100 -> 100) query; each candidate encoded by the
              listener's own encoder; score = dot(query, candidate);
              categorical sample over the 5 candidates
  learning    reward 1 when a listener picks the target, else 0; REINFORCE
              with no baseline (the raw 0/1 rewards) and entropy bonus 0.1 for
              both roles. A listener's loss is -(r log p + 0.1 H), averaged
              over its 100 games; the speaker's is
              -(r_mean sum_t log p_t + 0.1 sum_t H_t), averaged over the
              games, r_mean a game's reward averaged over the listeners. Adam
              (lr 1e-3, betas 0.9 / 0.999, eps 1e-8) on every parameter, one
              step per iteration
  initial     as Koine: uniform in +-1/sqrt(fan-in) for the Linear layers
              (PyTorch's nn.Linear), +-1/sqrt(100) for the LSTM weights and
              its one bias
  resets      `Game.reset(listeners)` re-initialises those listeners (their
              encoders included) with fresh Adam state and re-creates the
              speaker's Adam state (its encoder's included), as Li & Bowling's
              code and population.reset.speaker_optimizer: true do. `--reset`
              applies Koine's schedules; the timed iterations of
              scripts/bench-vs-pytorch reset nothing, like `koine bench game`.

Written to be a strong baseline, not a slow one:

  * batches come from vectorised tensor ops (randint / rand().argsort), never a
    Python loop over games;
  * each encoder runs once per iteration over the 32 objects, and games read
    rows of its table (exactly what a per-game encoder computes); the
    listeners' encoders are one batched product;
  * the N listeners are batched: their parameters are stacked along a leading
    listener axis and every product is one batched matmul (torch.baddbmm /
    bmm), so 10 listeners cost a handful of wide kernels instead of 10x the
    Python and dispatch overhead. `--listener-mode loop` runs the textbook
    version instead (one nn.Module per listener: nn.Linear encoder, nn.LSTMCell
    fed F.one_hot vectors, its second bias vector held at zero, a Python loop
    over listeners) for comparison;
  * a one-hot symbol times the input weight is a row of the weight: every
    step's input side is an index_select of the rows of (W_ih + b) (the bias
    added to 8 rows, not to every game), whose backward is an index_add; the
    speaker's zero start vector contributes nothing (its step 0 is
    h0 W_hh + b) and the listener's zero initial state skips its step-0
    h W_hh product;
  * a listener scores every object (one batched product, queries x its
    32-row table) and gathers each game's 5 candidates: at 10 listeners that
    is 5x faster than the 1,000 tiny (5 x 100) . (100 x 1) products of
    scoring the candidates alone, for 6x their FLOPs (see below);
  * rows are gathered with index_select (its backward is an index_add,
    cheaper than the index_put that tensor[indices] uses);
  * no torch.distributions objects (their argument checks cost more than the
    maths at these sizes): log_softmax, multinomial and the entropy directly;
  * the iteration's forward (sampling, both agents, losses) is compiled with
    torch.compile (inductor, which compiles its backward too and fuses the
    LSTM's and the losses' elementwise work); `--compile none` runs eagerly,
    and a run whose compiler fails goes on eagerly and says so in the JSON;
  * one Adam with fused=True (foreach where this torch has no fused CPU Adam)
    over every parameter: Adam is elementwise, so one Adam over the stacked
    listener tensors is N independent Adams -- as long as the listeners'
    step counts agree. A reset of some of the stacked listeners (staggered)
    gives them their own counts, which fused Adam (one count per tensor)
    cannot hold; from then on the stacked listener tensors are updated by a
    per-listener Adam written with torch ops (the same update, each listener
    with its own bias correction) and the other parameters by the fused one.
    Timed iterations do not reset and run the fused Adam only.

FLOPs: 2*m*n*k per matrix product; forward, the weight's gradient, and the
input's gradient where the input is differentiable (no gradient into the
objects, nor into the sampled symbols). Per iteration, with N listeners:
  speaker   its encoder 32x12x100 (2 products); per step, h W_hh
            100x100x400 and the output 100x100x8 (3 each)   = 49,113,600
  listener  its encoder 32x12x100 (2); step 1's h W_hh 100x100x400, the
            query 100x100x100, the scores of all 32 objects 100x100x32
            (3 each)                                         = 32,073,600
  total     81,187,200 (1 listener), 369,849,600 (10 listeners)
The one-hot input products are row lookups here and count nothing, as do the
speaker's zero start vector and the listener's zero initial state.
`flops_per_iteration` in the JSON is torch's FlopCounterMode over one eager
iteration, `analytic_flops_per_iteration` this count; `--check` checks that
they agree.

What was tried (one thread, torch 2.15, AMD EPYC (Zen 3, AVX2), both cores
shared with another engineer's builds and benchmarks, load average 1-3: each
comparison alternates the variants in one process, short bursts, medians of
iterations per CPU second; differences under ~10 % are noise at that load):

  the scores alone (forward + backward, 10 listeners, eager):
    all 32 objects by one bmm, then gather (used)       0.5-0.8 ms
    candidates: index_select + bmm of (5x100).(100x1)  3.1-5.2 ms
    candidates: index_select, multiply, sum             1.8-2.5 ms
  one-hot symbols: row lookups (used) against one-hot
    vectors in a baddbmm, eager                          lookups as fast or
                                                         faster (1 and 10)
  torch.compile of the forward (used) against eager     it/CPU-s +19-24 % (1
                                                         listener), +5-20 %
                                                         (10; 3 rounds each);
                                                         10-45 s to compile a
                                                         shape, 2-3 s cached
  Adam foreach instead of fused, eager                  -10 to -25 %
  tanh as 2 sigmoid(2x) - 1 (Koine's FastMath.tanh)     eager: -10 % (1) to
                                                         +10 % (10) on the cell
                                                         alone: not used

Usage:
  python li_bowling.py --listeners 10 --steps 200 --warmup 20 --threads 1 --json
  python li_bowling.py --check             # self-test: model, gradients, resets, compile, FLOPs
  python li_bowling.py --listeners 10 --reset staggered --steps 30000 --train   # population-staggered.yaml
prints {"listeners": 10, "threads": 1, "iterations_per_second": ...,
        "games_per_second": ..., "flops_per_iteration": ..., ...}
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

from selftest import SelfTest  # noqa: E402
from torchsetup import eager_and_compiled, quiet_compiler, unavailable, use_threads  # noqa: E402
from torchflops import torch_flop_count  # noqa: E402

ATTRIBUTES = (8, 4)
OBJECTS = math.prod(ATTRIBUTES)
WIDTH = sum(ATTRIBUTES)
VOCAB = 8
LENGTH = 2
CANDIDATES = 5
BATCH = 100
HIDDEN = 100
GATES = 4 * HIDDEN
ENTROPY = 0.1
LR = 1e-3
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
RESET_MODES = ("none", "sequential", "simultaneous", "staggered")


def object_space() -> torch.Tensor:
    """All 32 objects as concatenated one-hots, 32 x 12; object id =
    colour * 4 + shape, as Koine numbers them."""
    rows = []
    for colour in range(ATTRIBUTES[0]):
        for shape in range(ATTRIBUTES[1]):
            row = torch.zeros(WIDTH)
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


def lstm_pointwise(gates: torch.Tensor, c: torch.Tensor | None):
    """The LSTM's elementwise part from the fused pre-activations [i f g o];
    c = None is a zero cell state (the forget gate then multiplies nothing)."""
    i, f, g, o = gates.chunk(4, dim=-1)
    i, g, o = torch.sigmoid(i), torch.tanh(g), torch.sigmoid(o)
    c = i * g if c is None else torch.sigmoid(f) * c + i * g
    return o * torch.tanh(c), c


def uniform_(tensor: torch.Tensor, fan_in: int) -> torch.Tensor:
    bound = 1 / math.sqrt(fan_in)
    return tensor.uniform_(-bound, bound)


class Speaker(nn.Module):
    """The speaker and its private encoder. Matrices are stored input-major
    (in x out), so every product is an addmm without a transpose."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(WIDTH, HIDDEN)          # private object encoder
        self.w_ih = nn.Parameter(torch.empty(VOCAB, GATES))  # one row per symbol: one_hot(s) W_ih
        self.w_hh = nn.Parameter(torch.empty(HIDDEN, GATES))
        self.b = nn.Parameter(torch.empty(GATES))         # one bias vector, as Koine
        self.output = nn.Linear(HIDDEN, VOCAB)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        self.encoder.reset_parameters()
        for p in (self.w_ih, self.w_hh, self.b):
            uniform_(p, HIDDEN)
        self.output.reset_parameters()

    def forward(self, objects: torch.Tensor, targets: torch.Tensor):
        """Returns the symbols (length x batch), and log p and entropy summed
        over the steps (batch each)."""
        h = self.encoder(objects).index_select(0, targets)  # h0: the target's row of its table
        # Step 0: the start vector is all zeros (no x W_ih) and so is c0.
        h, c = lstm_pointwise(torch.addmm(self.b, h, self.w_hh), None)
        inputs = self.w_ih + self.b  # row s: one_hot(s) W_ih + b
        symbols, logp, entropy = [], 0, 0
        for t in range(LENGTH):
            if t > 0:
                h, c = lstm_pointwise(torch.addmm(inputs.index_select(0, symbols[-1]), h, self.w_hh), c)
            s, lp, ent = categorical(self.output(h))
            symbols.append(s)
            logp, entropy = logp + lp, entropy + ent
        return torch.stack(symbols), logp, entropy

    def textbook(self, objects: torch.Tensor, targets: torch.Tensor, symbols: torch.Tensor):
        """log p of `symbols` and the entropies, summed over the steps, computed
        the long way: explicit one-hot (and zero) input vectors times W_ih,
        every product done (for --check)."""
        h = self.encoder(objects)[targets]
        c = torch.zeros_like(h)
        x = torch.zeros(len(targets), VOCAB)  # the start vector
        logp, entropy = 0, 0
        for t in range(LENGTH):
            i, f, g, o = (x @ self.w_ih + h @ self.w_hh + self.b).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            lp = torch.log_softmax(self.output(h), dim=-1)
            logp = logp + lp.gather(1, symbols[t][:, None]).squeeze(1)
            entropy = entropy - (lp.exp() * lp).sum(1)
            x = F.one_hot(symbols[t], VOCAB).float()
        return logp, entropy


class Listeners(nn.Module):
    """N listeners with stacked parameters (leading axis = listener), each
    with its private encoder; the same maths as N `LoopListener`s, run as
    batched matmuls."""

    FAN_IN = {"enc_w": WIDTH, "enc_b": WIDTH, "w_ih": HIDDEN, "w_hh": HIDDEN, "b": HIDDEN,
              "w_q": HIDDEN, "b_q": HIDDEN}

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.enc_w = nn.Parameter(torch.empty(n, WIDTH, HIDDEN))  # private encoders
        self.enc_b = nn.Parameter(torch.empty(n, 1, HIDDEN))
        self.w_ih = nn.Parameter(torch.empty(n, VOCAB, GATES))    # one row per symbol
        self.w_hh = nn.Parameter(torch.empty(n, HIDDEN, GATES))
        self.b = nn.Parameter(torch.empty(n, 1, GATES))           # one bias vector
        self.w_q = nn.Parameter(torch.empty(n, HIDDEN, HIDDEN))
        self.b_q = nn.Parameter(torch.empty(n, 1, HIDDEN))
        self.reset_parameters(range(n))

    @torch.no_grad()
    def reset_parameters(self, listeners):
        for name, p in self.named_parameters():
            for l in listeners:
                uniform_(p[l], self.FAN_IN[name])

    def forward(self, objects: torch.Tensor, symbols: torch.Tensor, cands: torch.Tensor):
        """symbols: length x batch (one message heard by every listener);
        cands: batch x k object ids. Returns the scores, listeners x batch x k."""
        n = self.n
        tables = torch.baddbmm(self.enc_b, objects.expand(n, -1, -1), self.enc_w)  # n x 32 x hidden
        inputs = self.w_ih + self.b  # row s: one_hot(s) W_ih + b, per listener
        # Step 0 starts from h = c = 0: no h W_hh product.
        h, c = lstm_pointwise(inputs.index_select(1, symbols[0]), None)
        for t in range(1, LENGTH):
            h, c = lstm_pointwise(torch.baddbmm(inputs.index_select(1, symbols[t]), h, self.w_hh), c)
        q = torch.baddbmm(self.b_q, h, self.w_q)  # n x batch x hidden
        # Every object's score, then each game's candidates': one product per
        # listener beats n x batch tiny (k x hidden) . (hidden x 1) ones.
        return torch.bmm(q, tables.transpose(1, 2)).gather(2, cands.expand(n, -1, -1))


class LoopListener(nn.Module):
    """One listener, textbook style (used by --listener-mode loop)."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(WIDTH, HIDDEN)
        self.cell = nn.LSTMCell(VOCAB, HIDDEN)
        # Koine's cell has one bias vector: nn.LSTMCell's second one is held at zero.
        self.cell.bias_hh.requires_grad_(False)
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        self.encoder.reset_parameters()
        self.cell.reset_parameters()  # uniform in +-1/sqrt(hidden), as Koine
        self.cell.bias_hh.zero_()
        self.query.reset_parameters()

    def forward(self, objects: torch.Tensor, one_hots: list[torch.Tensor], cands: torch.Tensor):
        table = self.encoder(objects)
        state = None
        for x in one_hots:
            state = self.cell(x, state)
        q = self.query(state[0])
        candidates = table.index_select(0, cands.flatten()).view(*cands.shape, HIDDEN)
        return torch.bmm(candidates, q.unsqueeze(-1)).squeeze(-1)


class LoopListeners(nn.ModuleList):
    def __init__(self, n: int):
        super().__init__(LoopListener() for _ in range(n))
        self.n = n

    def reset_parameters(self, listeners):
        for l in listeners:
            self[l].reset_parameters()

    def forward(self, objects, symbols, cands):
        one_hots = [F.one_hot(s, VOCAB).float() for s in symbols]
        return torch.stack([listener(objects, one_hots, cands) for listener in self])


def losses(rewards, logp, entropy, speaker_logp, speaker_entropy):
    """REINFORCE without a baseline, entropy bonus for both roles. rewards,
    logp, entropy: listeners x batch; the speaker's: batch. Each listener's
    loss is a mean over its games; the speaker's reward for a game is the mean
    over the listeners that played it."""
    listener_loss = -(rewards * logp + ENTROPY * entropy).mean(1).sum()
    speaker_loss = -(rewards.mean(0) * speaker_logp + ENTROPY * speaker_entropy).mean()
    return listener_loss, speaker_loss


class Game:
    """All agents of one population and one training iteration."""

    def __init__(self, listeners: int, mode: str = "batched", adam: str = "fused"):
        self.objects = object_space()
        self.speaker = Speaker()
        self.mode = mode
        self.listeners = Listeners(listeners) if mode == "batched" else LoopListeners(listeners)
        self.n = listeners
        params = [p for p in self.parameters() if p.requires_grad]
        # Same learning rate everywhere: one Adam over all modules is one Adam
        # per module (Adam's update is elementwise, with a step count per tensor).
        self.optimizer, self.optimizer_kind = None, adam
        if adam == "fused":
            try:
                self.optimizer = torch.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS, fused=True)
            except (RuntimeError, TypeError):
                self.optimizer_kind = "foreach"
        if self.optimizer is None:
            self.optimizer = torch.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS, foreach=True)
        # Each listener's Adam step count (they differ after a staggered reset).
        self.listener_steps = [0] * listeners
        self.per_listener_adam = False

    def parameters(self):
        yield from self.speaker.parameters()
        yield from self.listeners.parameters()

    def forward(self):
        """One iteration's games and losses (what --compile compiles);
        returns the loss and the rewards, listeners x batch."""
        targets, cands, positions = sample_games(OBJECTS, BATCH, CANDIDATES)
        symbols, speaker_logp, speaker_entropy = self.speaker(self.objects, targets)
        scores = self.listeners(self.objects, symbols, cands)
        choices, logp, entropy = categorical(scores)
        rewards = (choices == positions).float()
        listener_loss, speaker_loss = losses(rewards, logp, entropy, speaker_logp, speaker_entropy)
        return listener_loss + speaker_loss, rewards

    def play(self) -> torch.Tensor:
        """One iteration's games, losses and gradients (no update); returns
        the rewards."""
        self.optimizer.zero_grad(set_to_none=True)
        loss, rewards = self.forward()
        loss.backward()
        return rewards

    def update(self):
        """One Adam step of every parameter."""
        self.listener_steps = [s + 1 for s in self.listener_steps]
        if self.per_listener_adam:
            self._stacked_listener_adam()
        self.optimizer.step()

    def step(self) -> torch.Tensor:
        rewards = self.play()
        self.update()
        return rewards

    @torch.no_grad()
    def _stacked_listener_adam(self):
        """Adam on the stacked listener tensors with each listener's own step
        count (its bias correction), as torch's Adam computes it; their
        gradients are then dropped so the fused Adam skips them."""
        steps = torch.tensor(self.listener_steps, dtype=torch.float64)
        step_size = (LR / (1 - BETA1 ** steps)).float()
        correction2 = (1 - BETA2 ** steps).sqrt().float()
        for p in self.listeners.parameters():
            state = self.optimizer.state[p]
            if not state:
                state["step"] = torch.zeros(())
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
            shape = (-1,) + (1,) * (p.dim() - 1)
            m, v, g = state["exp_avg"], state["exp_avg_sq"], p.grad
            m.lerp_(g, 1 - BETA1)
            v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
            denom = (v.sqrt() / correction2.view(shape)).add_(EPS)
            p.addcdiv_(m * step_size.view(shape), denom, value=-1)
            p.grad = None

    def reset(self, listeners=None, speaker_optimizer: bool = True):
        """Li & Bowling's listener reset: fresh parameters (their encoders'
        included) and Adam state for `listeners` (default: all), and with
        `speaker_optimizer` (population.reset.speaker_optimizer: true) fresh
        Adam state for the speaker and its encoder, parameters kept."""
        listeners = sorted(set(range(self.n) if listeners is None else listeners))
        if not listeners:
            return
        state = self.optimizer.state
        self.listeners.reset_parameters(listeners)
        if self.mode == "loop" or len(listeners) == self.n:
            params = [p for l in listeners for p in self.listeners[l].parameters()] if self.mode == "loop" \
                else list(self.listeners.parameters())
            for p in params:
                state.pop(p, None)
            if len(listeners) == self.n:
                self.per_listener_adam = False  # one step count again: the fused Adam's
        else:
            for p in self.listeners.parameters():
                if p in state:
                    for name in ("exp_avg", "exp_avg_sq"):
                        state[p][name][listeners] = 0
            self.per_listener_adam = True
        for l in listeners:
            self.listener_steps[l] = 0
        if speaker_optimizer:
            for p in self.speaker.parameters():
                state.pop(p, None)


def reset_schedule(mode: str, every: int, listeners: int, step: int) -> list[int]:
    """The listeners Koine's schedule resets before `step` (counted from 0;
    nothing before step 0): all of them every `every` steps (sequential,
    simultaneous), or the oldest every `every / listeners` steps (staggered)."""
    if mode == "none" or every < 1:
        return []
    period = max(1, every // listeners) if mode == "staggered" else every
    if step == 0 or step % period:
        return []
    if mode == "staggered":
        return [(step // period - 1) % listeners]
    return list(range(listeners))


# ---------------------------------------------------------------- FLOPs


def iteration_flops(listeners: int) -> dict:
    """The analytic count (see the docstring): 2*m*n*k per product; forward,
    the weight's gradient, and the input's where it is differentiable."""

    def product(m, k, n, input_gradient=True):
        return 2 * m * n * k * (3 if input_gradient else 2)

    speaker = (product(OBJECTS, WIDTH, HIDDEN, input_gradient=False)
               + LENGTH * (product(BATCH, HIDDEN, GATES) + product(BATCH, HIDDEN, VOCAB)))
    listener = (product(OBJECTS, WIDTH, HIDDEN, input_gradient=False)
                + (LENGTH - 1) * product(BATCH, HIDDEN, GATES)
                + product(BATCH, HIDDEN, HIDDEN) + product(BATCH, HIDDEN, OBJECTS))
    return {"speaker": speaker, "listener": listener, "total": speaker + listeners * listener}


# ---------------------------------------------------------------- check


def check() -> int:
    test = SelfTest("reference of the Li & Bowling game (the faithful model)")
    report = test.report

    def close(a, b, rtol=1e-5, atol=1e-6):
        return a.shape == b.shape and torch.allclose(a, b, rtol=rtol, atol=atol)

    torch.manual_seed(0)
    objects = object_space()

    # Games: the target is the candidate at its position; distractors distinct.
    targets, cands, positions = sample_games(OBJECTS, 4000, CANDIDATES)
    distinct = all(len(set(row)) == CANDIDATES for row in cands.tolist())
    report(bool((cands.gather(1, positions[:, None]).squeeze(1) == targets).all()) and distinct
           and bool(((cands >= 0) & (cands < OBJECTS)).all()),
           "games: the target sits at its position among 5 distinct candidates")
    spread = torch.bincount(positions, minlength=CANDIDATES).float() / len(positions)
    report(bool((spread - 1 / CANDIDATES).abs().max() < 0.03), f"target positions uniform ({spread.tolist()})")

    # The speaker: zero start vector and one-hot symbols, against explicit products.
    speaker = Speaker()
    targets = torch.randint(OBJECTS, (BATCH,))
    symbols, logp, entropy = speaker(objects, targets)
    logp2, entropy2 = speaker.textbook(objects, targets, symbols)
    report(close(logp, logp2) and close(entropy, entropy2),
           "speaker: the row lookups and skipped products = one-hot and zero-start input vectors times W_ih")
    report(sum(p.numel() for p in speaker.parameters()) == (WIDTH + 1) * HIDDEN + (VOCAB + HIDDEN + 1) * GATES
           + (HIDDEN + 1) * VOCAB, "speaker: encoder, LSTM with one bias and no embedding, output layer")

    # Batched listeners = textbook ones (nn.Linear, nn.LSTMCell on F.one_hot), values and gradients.
    n = 3
    batched, loop = Listeners(n), LoopListeners(n)
    with torch.no_grad():
        for l, listener in enumerate(loop):
            listener.encoder.weight.copy_(batched.enc_w[l].t())
            listener.encoder.bias.copy_(batched.enc_b[l, 0])
            listener.cell.weight_ih.copy_(batched.w_ih[l].t())
            listener.cell.weight_hh.copy_(batched.w_hh[l].t())
            listener.cell.bias_ih.copy_(batched.b[l, 0])
            listener.query.weight.copy_(batched.w_q[l].t())
            listener.query.bias.copy_(batched.b_q[l, 0])
    _, cands, _ = sample_games(OBJECTS, BATCH, CANDIDATES)
    symbols = torch.randint(VOCAB, (LENGTH, BATCH))
    weights = torch.randn(n, BATCH, CANDIDATES)
    s1, s2 = batched(objects, symbols, cands), loop(objects, symbols, cands)
    (s1 * weights).sum().backward()
    (s2 * weights).sum().backward()
    pairs = []
    for l, listener in enumerate(loop):
        pairs += [(batched.enc_w.grad[l], listener.encoder.weight.grad.t()),
                  (batched.enc_b.grad[l, 0], listener.encoder.bias.grad),
                  (batched.w_ih.grad[l], listener.cell.weight_ih.grad.t()),
                  (batched.w_hh.grad[l], listener.cell.weight_hh.grad.t()),
                  (batched.b.grad[l, 0], listener.cell.bias_ih.grad),
                  (batched.w_q.grad[l], listener.query.weight.grad.t()),
                  (batched.b_q.grad[l, 0], listener.query.bias.grad)]
    report(close(s1, s2), "listeners: batched scores = textbook ones (nn.Linear encoder, nn.LSTMCell on F.one_hot)")
    report(all(close(a, b, atol=1e-5) for a, b in pairs),
           "listeners: every gradient (encoder, LSTM, query) = the textbook listeners', listener by listener")
    report(all(listener.cell.bias_hh.grad is None and not listener.cell.bias_hh.any() for listener in loop),
           "textbook listeners: nn.LSTMCell's second bias stays zero and untrained (Koine has one)")

    # No baseline: the raw rewards weigh log p; the speaker's is the mean over listeners.
    rewards = (torch.rand(n, BATCH) < 0.5).float()
    lp = torch.randn(n, BATCH, requires_grad=True)
    ent = torch.rand(n, BATCH, requires_grad=True)
    slp = torch.randn(BATCH, requires_grad=True)
    sent = torch.rand(BATCH, requires_grad=True)
    listener_loss, speaker_loss = losses(rewards, lp, ent, slp, sent)
    g = torch.autograd.grad(listener_loss + speaker_loss, (lp, ent, slp, sent))
    report(close(g[0], -rewards / BATCH) and close(g[1], torch.full_like(ent, -ENTROPY / BATCH))
           and close(g[2], -rewards.mean(0) / BATCH) and close(g[3], torch.full_like(sent, -ENTROPY / BATCH)),
           "losses: REINFORCE on raw 0/1 rewards (no baseline), entropy 0.1; speaker's reward = mean over listeners")

    # A game's gradients: one per parameter, its shape, finite, every encoder reached.
    for mode in ("batched", "loop"):
        torch.manual_seed(1)
        game = Game(10, mode)
        game.play()
        params = [p for p in game.parameters() if p.requires_grad]
        shapes = all(p.grad is not None and p.grad.shape == p.shape and bool(p.grad.isfinite().all()) for p in params)
        encoders = ([game.listeners.enc_w.grad[l] for l in range(10)] if mode == "batched"
                    else [listener.encoder.weight.grad for listener in game.listeners])
        reached = bool(game.speaker.encoder.weight.grad.abs().sum() > 0) and all(bool(e.abs().sum() > 0) for e in encoders)
        report(shapes and reached, f"{mode}, 10 listeners: {len(params)} gradients, each of its parameter's shape "
                                   "and finite; the speaker's and all 10 listeners' private encoders receive one")

    # Resets. Adam's first step from fresh state is -lr g / (|g| + eps).
    def adam(p, g, m, v, t):
        m = BETA1 * m + (1 - BETA1) * g
        v = BETA2 * v + (1 - BETA2) * g * g
        return p - LR / (1 - BETA1 ** t) * m / ((v / (1 - BETA2 ** t)).sqrt() + EPS)

    def snapshot(game, params):
        state = game.optimizer.state
        return [(p.detach().clone(), state[p]["exp_avg"].clone(), state[p]["exp_avg_sq"].clone()) for p in params]

    for n, mode, reset in ((1, "batched", None), (10, "batched", None), (10, "batched", [3]), (10, "loop", [3])):
        torch.manual_seed(2)
        game = Game(n, mode)
        for _ in range(3):
            game.step()
        reset_ids = list(range(n)) if reset is None else reset
        if mode == "batched":
            listener_params = list(game.listeners.parameters())
            old = [p.detach().clone() for p in listener_params]
        else:
            old = [[p.detach().clone() for p in listener.parameters()] for listener in game.listeners]
        speaker_params = list(game.speaker.parameters())
        speaker_old = [p.detach().clone() for p in speaker_params]
        kept = [l for l in range(n) if l not in reset_ids]
        kept_params = ([p for l in kept for p in game.listeners[l].parameters() if p.requires_grad]
                       if mode == "loop" else listener_params)
        before = snapshot(game, kept_params)
        game.reset(reset)
        what = f"{mode}, {n} listener(s), reset {'all' if reset is None else reset}"
        # Parameters: the reset listeners' drawn afresh (within their bounds), the others' untouched.
        if mode == "batched":
            fresh = all(not torch.equal(p[l], o[l]) and bool(p[l].abs().max() <= 1 / math.sqrt(Listeners.FAN_IN[name]))
                        for (name, p), o in zip(game.listeners.named_parameters(), old) for l in reset_ids)
            same = all(torch.equal(p[l], o[l]) for p, o in zip(listener_params, old) for l in kept)
        else:
            fresh = all(not torch.equal(p, o) for l in reset_ids
                        for p, o in zip(game.listeners[l].parameters(), old[l]) if p.requires_grad)
            same = all(torch.equal(p, o) for l in kept for p, o in zip(game.listeners[l].parameters(), old[l]))
        report(fresh and same and all(torch.equal(p, o) for p, o in zip(speaker_params, speaker_old)),
               f"{what}: those listeners' parameters (encoder included) re-drawn, the rest and the speaker's kept")
        report(all(p not in game.optimizer.state for p in speaker_params),
               f"{what}: the speaker's Adam state (its encoder's included) re-created")
        # The next update: fresh Adam (t = 1) for the speaker and the reset
        # listeners; the kept listeners continue theirs (t = 4).
        game.play()
        grads = {p: p.grad.clone() for p in game.parameters() if p.requires_grad}
        values = {p: p.detach().clone() for p in grads}
        game.update()
        ok_speaker = all(close(p, adam(values[p], grads[p], 0, 0, 1)) for p in speaker_params)
        if mode == "batched":
            ok_reset = all(close(p[l], adam(values[p][l], grads[p][l], 0, 0, 1)) for p in listener_params for l in reset_ids)
            ok_kept = all(close(p[l], adam(b[0][l], grads[p][l], b[1][l], b[2][l], 4))
                          for p, b in zip(listener_params, before) for l in kept)
        else:
            ok_reset = all(close(p, adam(values[p], grads[p], 0, 0, 1)) for l in reset_ids
                           for p in game.listeners[l].parameters() if p.requires_grad)
            ok_kept = all(close(p, adam(b[0], grads[p], b[1], b[2], 4)) for p, b in zip(kept_params, before))
        report(ok_speaker and ok_reset and ok_kept,
               f"{what}: next update is Adam's first for the speaker and the reset listener(s), "
               f"the 4th for the others{' (per-listener Adam)' if game.per_listener_adam else ' (fused Adam)'}")
        if mode == "batched" and reset is not None:
            # Two more updates keep the per-listener counts apart (2, 3 and 5, 6).
            ok = True
            for t in (2, 3):
                state = {p: (p.detach().clone(), game.optimizer.state[p]["exp_avg"].clone(),
                             game.optimizer.state[p]["exp_avg_sq"].clone()) for p in listener_params}
                game.play()
                grads = {p: p.grad.clone() for p in listener_params}
                game.update()
                ok = ok and all(close(p[l], adam(state[p][0][l], grads[p][l], state[p][1][l], state[p][2][l],
                                          t if l in reset_ids else t + 3))
                         for p in listener_params for l in range(n))
            report(ok, f"{what}: later updates keep each listener's own step count")
            game.reset()
            report(not game.per_listener_adam and all(p not in game.optimizer.state for p in listener_params),
                   f"{what}: a reset of all listeners returns them to the fused Adam with fresh state")

    # torch.compile (the default --compile forward) computes what eager does:
    # with inductor's fallback_random the draws are the same.
    def iterations(compiled: bool):
        torch.manual_seed(5)
        game = Game(2)
        if compiled:
            game.forward = torch.compile(game.forward)
        for _ in range(3):
            game.step()
        rewards = game.play()
        return rewards, [p.grad.clone() for p in game.parameters()]
    try:
        (r0, g0), (r1, g1) = eager_and_compiled(iterations)
        report(torch.equal(r0, r1) and all(torch.allclose(a, b, rtol=1e-3, atol=1e-6) for a, b in zip(g0, g1)),
               "torch.compile'd iterations = eager ones (the same games, rewards and gradients at the 4th step)")
    except Exception as error:  # noqa: BLE001
        print(unavailable(error))

    # Koine's reset schedules.
    staggered = [(s, reset_schedule("staggered", 6000, 10, s)) for s in range(0, 12001, 600)]
    report([r for s, r in staggered if r][:11] == [[l] for l in range(10)] + [[0]]
           and all(bool(r) == (s > 0) for s, r in staggered),
           "schedules: staggered resets the oldest listener every 600 steps (0, 1, ..., 9, 0, ...)")
    report(reset_schedule("sequential", 6000, 1, 6000) == [0] and reset_schedule("sequential", 6000, 1, 5999) == []
           and reset_schedule("simultaneous", 6000, 10, 12000) == list(range(10))
           and reset_schedule("simultaneous", 6000, 10, 0) == [],
           "schedules: sequential and simultaneous reset every listener every 6,000 steps, none before step 0")

    # FLOPs: the analytic count against torch's FlopCounterMode.
    for n in (1, 10):
        torch.manual_seed(1)
        game = Game(n)
        counted, analytic = torch_flop_count(game.step), iteration_flops(n)["total"]
        report(counted is None or counted == analytic,
               f"FLOPs, {n} listener(s): analytic {analytic:,} vs FlopCounterMode {counted:,}"
               if counted is not None else f"FLOPs, {n} listener(s): analytic {analytic:,} (no FlopCounterMode)")

    return test.finish()


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=1)
    parser.add_argument("--steps", type=int, default=200, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=20, help="untimed iterations first")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--listener-mode", choices=["batched", "loop"], default="batched")
    parser.add_argument("--adam", choices=["fused", "foreach"], default="fused")
    parser.add_argument("--compile", choices=["forward", "none"], default="forward",
                        help="torch.compile the iteration's forward (games, agents, losses; inductor then "
                             "compiles its backward too), or run eagerly")
    parser.add_argument("--reset", choices=RESET_MODES, default="none",
                        help="listener reset schedule, as Koine's population.reset.listeners.mode "
                             "(each reset also re-creates the speaker's Adam state)")
    parser.add_argument("--reset-every", type=int, default=6000, help="as population.reset.listeners.every")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", action="store_true",
                        help="print the accuracy every 1000 steps (a check that it learns)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--check", "--self-test", action="store_true",
                        help="self-test (games, model, gradients, resets, FLOPs) and exit")
    args = parser.parse_args(argv)
    if args.check:
        torch.set_num_threads(args.threads)
        return check()
    if args.listeners < 1 or args.steps < 1 or args.warmup < 0 or args.threads < 1 or args.reset_every < 1:
        parser.error("--listeners, --steps, --threads, --reset-every must be >= 1 and --warmup >= 0")

    use_threads(args.threads)
    torch.manual_seed(args.seed)
    game = Game(args.listeners, args.listener_mode, args.adam)
    compiled, compile_seconds = "none", 0.0
    if args.compile != "none":
        # The first step compiles the forward and then the backward: it is not
        # part of the warm-up. Where the compiler cannot run (no C++ toolchain,
        # say), the run goes on eagerly and says so.
        eager = game.forward
        started = time.perf_counter()
        quiet_compiler()
        game.forward = torch.compile(eager)
        try:
            game.step()
            compiled = args.compile
        except Exception as error:  # noqa: BLE001 (any failure of the compiler)
            game.forward = eager
            compiled = f"failed ({type(error).__name__}), eager"
            print(f"li_bowling.py: torch.compile failed, running eagerly: {error}".splitlines()[0], file=sys.stderr)
        compile_seconds = time.perf_counter() - started

    def iteration(step: int) -> torch.Tensor:
        resets = reset_schedule(args.reset, args.reset_every, args.listeners, step)
        if resets:
            game.reset(resets)
        return game.step()

    for step in range(args.warmup):
        iteration(step)
    wins = 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(args.steps):
        rewards = iteration(args.warmup + i)
        if args.train:
            wins += rewards.mean().item()
            if (i + 1) % 1000 == 0:
                print(f"step {i + 1}: accuracy {wins / 1000:.3f}", file=sys.stderr, flush=True)
                wins = 0.0
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start

    ips = args.steps / elapsed
    result = {
        "listeners": args.listeners,
        "threads": args.threads,
        "listener_mode": args.listener_mode,
        "model": "faithful (one-hot symbols, private encoders, no baseline)",
        "reset": args.reset if args.reset == "none" else f"{args.reset} every {args.reset_every}",
        "steps": args.steps,
        "seconds": round(elapsed, 4),
        "iterations_per_second": round(ips, 3),
        # CPU time of the process over the timed steps: on a loaded machine,
        # steps / cpu_seconds is what the run would do with a core to itself.
        "iterations_per_cpu_second": round(args.steps / cpu, 3) if cpu > 0 else None,
        "games_per_second": round(ips * BATCH * args.listeners, 1),
        "torch": torch.__version__,
        "optimizer": game.optimizer_kind,
        "compile": compiled,
        "compile_seconds": round(compile_seconds, 2),
        # The loop mode's textbook cells run more products (one-hot inputs,
        # step 0's h W_hh from zeros): only torch's count is its own.
        "analytic_flops_per_iteration": iteration_flops(args.listeners)["total"]
        if args.listener_mode == "batched" else None,
    }
    game.__dict__.pop("forward", None)  # torch counts the products it dispatches eagerly
    result["flops_per_iteration"] = torch_flop_count(game.step)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.listeners} listener(s), {args.threads} thread(s), {args.listener_mode}: "
              f"{ips:.1f} iterations/s, {ips * BATCH * args.listeners:.0f} games/s "
              f"(torch {torch.__version__}, Adam {game.optimizer_kind}, compile {compiled})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
