#!/usr/bin/env python3
"""PyTorch reference for Koine's image referential game: one training
iteration, timed.

(The "What was tried" section at the end of this docstring records the
variants measured and why the defaults are what they are.)

The iteration (defaults in brackets):

  images      a batch of B [128] distinct images, 3 x 32 x 32, values in
              [0, 1], drawn each step from a fixed random pool [1024]; image b
              is the target of game b, the other B - 1 are its distractors
  encoder     shared by both agents. `learned`: for each block width w of
              --widths [32,64,128], --convolutions [2] x (Conv2d 3x3, stride 1,
              padding 1, no bias -> BatchNorm2d(w), training mode, eps 1e-5,
              momentum 0.1 -> ReLU), then MaxPool2d(2); global average pooling
              -> (B, widths[-1]) -> Linear(widths[-1], H) with bias: the table
              T, (B, H) [H = 256]. `frozen_random`: the conv stack is random
              and frozen; the pooled features of every image of the pool are
              computed once (evaluation mode, as Koine does), standardised per
              channel over the pool (as Koine does) and cached, so a step runs
              only Linear(widths[-1], H) over the batch's cached rows.
              `frozen_each_step`: the same random frozen stack as a PyTorch
              user freezes a module (requires_grad_(False), evaluation mode)
              and runs it under torch.no_grad() on every step's batch, the
              features standardised by statistics taken once over the pool:
              the forward convolutions every step, no backward through them.
              Koine's `frozen_random` computes the same features once; this
              mode measures what that saves
  sender      LSTM cell (hidden H, one bias vector 4H, gates i, f, g, o as in
              Koine), h0 = T[b] for game b, c0 = 0; step 0 reads the start
              symbol's row of its (V+1) x H embedding [V = 100] (the start
              symbol is index V); step t > 0 reads onehot_{t-1} @ E[:V];
              Linear(H, V) -> Gumbel-Softmax straight-through, tau = 1 (the
              forward value is the one-hot of argmax((logits + Gumbel)/tau),
              the gradient is softmax's); L [5] symbols. Koine pads a message
              after its end symbol 0; padding changes values, not work, so the
              reference sends fixed-length messages.
  receiver    its own V x H embedding and LSTM cell (zero initial state: its
              step 0 has no h @ W_hh product, as in Koine), reading
              onehot_t @ E_r for t = 0..L-1; last h -> Linear(H, H) = g;
              scores S = g @ T^T (B x B): every image of the batch, scored
              with the same encoder table T
  loss        hinge (Havrylov & Titov 2017): per game b,
              sum_{k != b} max(0, 1 - S[b,b] + S[b,k]); mean over the B games
  learning    backward through everything (the receiver, the message by
              straight-through, the sender, T from both the sender's h0 and
              the receiver's candidates, the conv stack when learned), then
              one Adam step (lr 1e-3, torch defaults otherwise) over every
              parameter; zero_grad(set_to_none=True)

FLOPs per iteration are counted as Koine counts them, 2*m*n*k per matrix
product (a convolution as its im2col product), backward = input gradient +
weight gradient (none for the images). `flops_per_iteration` is that analytic
count; `--check` verifies it against torch's FlopCounterMode over one step.
At the defaults: learned 33,645,133,824, frozen_random 4,192,731,136.
`koine bench images` reports matrix_product_flops_per_iteration, which is
25,165,824 lower in both modes: exactly the scores S = g T^T and their two
gradients (3 x 2*B*B*H), which Koine computes as dot products (DotScoring)
outside its record of matrix products; the work is the same.

Usage:
  python image_game.py --mode learned --steps 20 --warmup 3 --threads 1 --json
  python image_game.py --check           # self-test: hinge loss, cell, FLOPs, learning

What was tried. One thread, AMD EPYC (AVX2), torch 2.15 (MKL sgemm, oneDNN
3.13); the machine's two cores were shared with a background job and a Swift
build (load average 4-5), so variants were compared by iterations per CPU
second of the process (`iterations_per_cpu_second` in the JSON), medians of 3
alternating runs of 40 (frozen) or 6 (learned) steps; differences under ~5 %
are noise at that load.

  learned (33.6 GFLOP per iteration)            it/CPU-s
    channels_last + oneDNN convolutions (used)    2.16   (73 GFLOP/s)
    NCHW (contiguous) + oneDNN                    1.79   -17 %
    oneDNN off (im2col + sgemm), NCHW or NHWC     1.18-1.25   -42 %
    torch.compile of the whole forward (inductor) 2.02   -6 %, and ~25 s to compile
    torch.compile of the games after the encoder  2.13   same
    glibc malloc as it comes (no mallopt)         2.05   -5 % (~4,000 page faults/step)
  A learned step (profile): convolutions forward ~100 ms (~99 GFLOP/s) and
  backward ~245 ms (~80 GFLOP/s), batch norm ~45 ms, ReLU and pooling ~25 ms,
  the agents ~65 ms.

  frozen_random (4.19 GFLOP per iteration)      it/CPU-s
    eager, the defaults (used)                   15.4   (65 GFLOP/s)
    torch.compile, games / whole forward         15.2-15.8 (another round: +4-5 %): noise
    LSTM elementwise part as one
      autograd.Function (--lstm function)        14.7   -4 % (Python overhead; 2 cells
                                                  fwd+bwd 1.5 ms vs 1.25 ms plain)
    textbook straight-through (--gumbel autograd) 15.7  noise (alone: 354 vs 302 us per draw, fwd+bwd)
    receiver inputs per step (--receiver-inputs) 14.6-15.6 vs 15.2-15.4: noise
    Adam foreach instead of fused                14.7-15.0  -3 %
    glibc malloc as it comes                     15.1   noise
  Fixed along the way: gx[t] on the batched receiver inputs (each select's
  backward zero-fills and adds a whole 5 x 128 x 1024 gradient: ~6.5 ms, 10 %
  of a step) -> unbind; Gumbel noise from exponential_ (325 us per 128 x 100
  draw) -> uniform and two logs (150 us). No gain from one [x, h] @ [Wx; Wh]
  product instead of two (the step is bound by sgemm: ~80 GFLOP/s on these
  shapes on this machine, a bare 128 x 256 x 1024 product included, and the
  products are ~80 % of a frozen step). torch.tanh is slow on this build
  (3.3 ns/element against sigmoid's 1.0); 2 sigmoid(2x) - 1 would save ~2 ms
  per step but is not bit-identical to tanh, so it is not used.
  Defaults: channels_last, oneDNN on, plain LSTM cell, the Gumbel function,
  batched receiver inputs, fused Adam, mallopt, no torch.compile (no
  measurable gain for a compiler toolchain and ~6-30 s per process; the
  option is there, and --check verifies the compiled games equal the eager
  ones).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn

from selftest import SelfTest  # noqa: E402
from torchsetup import eager_and_compiled, quiet_compiler, unavailable, use_threads  # noqa: E402
from torchflops import torch_flop_count  # noqa: E402

HIDDEN = 256
VOCABULARY = 100
LENGTH = 5
BATCH = 128
WIDTHS = (32, 64, 128)
MODES = ("learned", "frozen_random", "frozen_each_step")
CONVOLUTIONS = 2
IMAGE = (3, 32, 32)
POOL = 1024
LR = 1e-3
MARGIN = 1.0
TEMPERATURE = 1.0


# ---------------------------------------------------------------- pieces


def tune_malloc() -> bool:
    """glibc returns freed blocks above its mmap threshold to the kernel, and
    the next allocation of a conv activation (up to 16 MB here) page-faults
    its memory back in: ~4,000 minor faults and ~10 ms of system time per
    learned step. A fixed 32 MB threshold (glibc's maximum) and no trimming
    keep those blocks in the heap, as jemalloc or tcmalloc would. False when
    the C library is not glibc."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(M_TRIM_THRESHOLD, 1 << 30))


def conv_stack(widths, convolutions: int, channels: int) -> nn.Sequential:
    layers = []
    for width in widths:
        for _ in range(convolutions):
            layers += [nn.Conv2d(channels, width, 3, stride=1, padding=1, bias=False),
                       nn.BatchNorm2d(width, eps=1e-5, momentum=0.1, affine=True),
                       nn.ReLU(inplace=True)]
            channels = width
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class GumbelStraightThrough(torch.autograd.Function):
    """Forward: the one-hot of argmax(logits + Gumbel noise) (the argmax of
    soft = softmax((logits + g)/tau) is the same); backward: softmax's gradient
    at soft, as if the output had been soft (straight-through). One autograd
    node instead of the textbook `hard - soft.detach() + soft` chain."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, temperature: float):
        # Gumbel(0, 1) noise, -log(-log(u)): torch's uniform sampler costs
        # half its exponential_ one, and the two logs are cheap beside either.
        y = torch.rand_like(logits).log_().neg_().log_().neg_().add_(logits)
        if temperature != 1.0:
            y.div_(temperature)
        soft = torch.softmax(y, dim=1)
        hard = torch.zeros_like(logits).scatter_(1, y.argmax(dim=1, keepdim=True), 1.0)
        ctx.save_for_backward(soft)
        ctx.temperature = temperature
        return hard

    @staticmethod
    def backward(ctx, grad):
        (soft,) = ctx.saved_tensors
        d = torch._softmax_backward_data(grad, soft, 1, soft.dtype)
        if ctx.temperature != 1.0:
            d.div_(ctx.temperature)
        return d, None


def gumbel_textbook(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """The textbook straight-through Gumbel-Softmax (for the check and the
    `--gumbel autograd` variant)."""
    g = -torch.log(-torch.log(torch.rand_like(logits).clamp_min(1e-20)))
    soft = torch.softmax((logits + g) / temperature, dim=1)
    hard = torch.zeros_like(soft).scatter_(1, soft.argmax(dim=1, keepdim=True), 1.0)
    return hard - soft.detach() + soft


class LSTMPointwise(torch.autograd.Function):
    """The LSTM cell's elementwise part, gates (B x 4H, order i, f, g, o,
    pre-activation) and c_prev (None: zero) -> (h, c), with a hand-written
    backward on torch's fused sigmoid_backward / tanh_backward kernels: one
    autograd node instead of a dozen."""

    @staticmethod
    def forward(ctx, gates: torch.Tensor, c_prev):
        H = gates.shape[1] // 4
        act = torch.empty_like(gates)
        torch.sigmoid(gates[:, :2 * H], out=act[:, :2 * H])
        torch.tanh(gates[:, 2 * H:3 * H], out=act[:, 2 * H:3 * H])
        torch.sigmoid(gates[:, 3 * H:], out=act[:, 3 * H:])
        i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        c = i * g
        if c_prev is not None:
            c.addcmul_(f, c_prev)
        tc = torch.tanh(c)
        h = o * tc
        ctx.save_for_backward(act, tc, c_prev)
        ctx.has_c_prev = c_prev is not None
        return h, c

    @staticmethod
    def backward(ctx, dh, dc):
        act, tc, c_prev = ctx.saved_tensors
        H = act.shape[1] // 4
        i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        aten = torch.ops.aten
        dct = aten.tanh_backward(dh * o, tc)       # dc + dh * o * (1 - tanh(c)^2)
        if dc is not None:
            dct.add_(dc)
        dgates = torch.empty_like(act)
        aten.sigmoid_backward.grad_input(dct * g, i, grad_input=dgates[:, :H])
        if ctx.has_c_prev:
            aten.sigmoid_backward.grad_input(dct * c_prev, f, grad_input=dgates[:, H:2 * H])
        else:
            dgates[:, H:2 * H].zero_()
        aten.tanh_backward.grad_input(dct * i, g, grad_input=dgates[:, 2 * H:3 * H])
        aten.sigmoid_backward.grad_input(dh * tc, o, grad_input=dgates[:, 3 * H:])
        return dgates, (dct.mul_(f) if ctx.has_c_prev else None)


def lstm_pointwise_plain(gates: torch.Tensor, c_prev):
    i, f, g, o = gates.chunk(4, dim=1)
    i, g, o = torch.sigmoid(i), torch.tanh(g), torch.sigmoid(o)
    c = i * g if c_prev is None else torch.sigmoid(f) * c_prev + i * g
    return o * torch.tanh(c), c


def hinge_loss(scores: torch.Tensor, margin: float = MARGIN) -> torch.Tensor:
    """Mean over rows b of sum_{k != b} max(0, margin - S[b,b] + S[b,k]).
    The k = b term is max(0, (S[b,b] - S[b,b]) + margin) = margin exactly,
    with zero gradient (the two S[b,b] cancel), so it is subtracted as a
    constant rather than masked."""
    b = scores.shape[0]
    m = torch.relu(scores - scores.diagonal().unsqueeze(1) + margin)
    return (m.sum() - margin * b) / b


def uniform(bound: float, *shape) -> nn.Parameter:
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


class Agents(nn.Module):
    """Sender and receiver (and the encoder's Linear into the hidden space).
    Matrices are stored input-major (in x out) so every product is an addmm
    without a transpose."""

    def __init__(self, feature_width: int, hidden: int, vocabulary: int):
        super().__init__()
        H, V = hidden, vocabulary
        k = 1 / math.sqrt(H)
        kf = 1 / math.sqrt(feature_width)
        # Encoder projection (nn.Linear's initialisation).
        self.w_p = uniform(kf, feature_width, H)
        self.b_p = uniform(kf, H)
        # Sender: embedding (V + 1) x H (row V: the start symbol), LSTM, output.
        self.e_s = nn.Parameter(torch.randn(V + 1, H))
        self.wx_s = uniform(k, H, 4 * H)
        self.wh_s = uniform(k, H, 4 * H)
        self.b_s = uniform(k, 4 * H)
        self.w_o = uniform(k, H, V)
        self.b_o = uniform(k, V)
        # Receiver: embedding V x H, LSTM, Linear(H, H).
        self.e_r = nn.Parameter(torch.randn(V, H))
        self.wx_r = uniform(k, H, 4 * H)
        self.wh_r = uniform(k, H, 4 * H)
        self.b_r = uniform(k, 4 * H)
        self.w_q = uniform(k, H, H)
        self.b_q = uniform(k, H)


class ImageGame:
    def __init__(self, mode: str, hidden: int = HIDDEN, vocabulary: int = VOCABULARY, length: int = LENGTH,
                 batch: int = BATCH, widths=WIDTHS, convolutions: int = CONVOLUTIONS, pool: int = POOL,
                 layout: str = "channels_last", lstm: str = "plain", gumbel: str = "function",
                 receiver_inputs: str = "batched", adam: str = "fused", images: torch.Tensor | None = None):
        assert mode in MODES
        self.mode, self.H, self.V, self.L, self.B = mode, hidden, vocabulary, length, batch
        self.widths, self.convolutions = tuple(widths), convolutions
        self.layout = layout
        self.cell = LSTMPointwise.apply if lstm == "function" else lstm_pointwise_plain
        self.gumbel = gumbel
        self.receiver_inputs = receiver_inputs
        if images is None:
            images = torch.rand(pool, *IMAGE)
        self.pool = images.shape[0]
        assert self.pool >= batch, "the pool must hold at least one batch of distinct images"
        channels = images.shape[1]
        assert images.shape[2] >> len(widths) >= 1 and images.shape[3] >> len(widths) >= 1

        self.stack = conv_stack(self.widths, convolutions, channels)
        self.agents = Agents(self.widths[-1], hidden, vocabulary)
        if layout == "channels_last":
            self.stack = self.stack.to(memory_format=torch.channels_last)
            # NHWC storage: a gathered batch, viewed as NCHW, is channels_last
            # with no copy.
            self.images_nhwc = images.permute(0, 2, 3, 1).contiguous()
        else:
            self.images = images.contiguous()

        if mode == "learned":
            params = list(self.stack.parameters()) + list(self.agents.parameters())
            self.features = None
        else:
            for p in self.stack.parameters():
                p.requires_grad_(False)
            self.features = self._cache_features(images)
            params = list(self.agents.parameters())
            if mode == "frozen_each_step":
                # Keep only the standardisation; the features are recomputed per step.
                self.features = None
                self.stack.eval()
        self.params = params
        if adam == "fused":
            self.optimizer = torch.optim.Adam(params, lr=LR, fused=True)
        elif adam == "foreach":
            self.optimizer = torch.optim.Adam(params, lr=LR, foreach=True)
        else:
            self.optimizer = torch.optim.Adam(params, lr=LR, foreach=False)
        self.adam = adam

    @torch.no_grad()
    def _cache_features(self, images: torch.Tensor) -> torch.Tensor:
        self.stack.eval()
        chunks = []
        for first in range(0, images.shape[0], self.B):
            x = images[first:first + self.B]
            if self.layout == "channels_last":
                x = x.contiguous(memory_format=torch.channels_last)
            chunks.append(self.stack(x).mean(dim=(2, 3)))
        self.stack.train()
        features = torch.cat(chunks)
        # Koine standardises each channel over the data set (a channel
        # constant over it is only centred).
        mean = features.mean(0)
        std = features.std(0, unbiased=False)
        scale = torch.where(std > 0, 1 / std.clamp_min(1e-30), torch.ones_like(std))
        self.features_mean, self.features_scale = mean, scale
        return ((features - mean) * scale).contiguous()

    def batch_indices(self) -> torch.Tensor:
        """B distinct images of the pool."""
        return torch.randperm(self.pool)[: self.B]

    def table(self, indices: torch.Tensor) -> torch.Tensor:
        a = self.agents
        if self.features is not None:
            feats = self.features.index_select(0, indices)
        else:
            if self.layout == "channels_last":
                x = self.images_nhwc.index_select(0, indices).permute(0, 3, 1, 2)
            else:
                x = self.images.index_select(0, indices)
            if self.mode == "frozen_each_step":
                with torch.no_grad():
                    feats = (self.stack(x).mean(dim=(2, 3)) - self.features_mean) * self.features_scale
            else:
                feats = self.stack(x).mean(dim=(2, 3))
        return torch.addmm(a.b_p, feats, a.w_p)

    def forward(self, indices: torch.Tensor):
        """Loss and scores of one batch (game b's target is image b)."""
        return self.play(self.table(indices))

    def play(self, T: torch.Tensor):
        """The games given the encoder's table T (B x H): loss and scores."""
        a, B, V, L = self.agents, self.B, self.V, self.L
        # Sender: h0 = T (row b for game b), c0 = 0.
        h, c = T, None
        x = a.e_s[V].expand(B, -1)  # the start symbol's embedding, every game
        e_s = a.e_s[:V]
        messages = []
        for t in range(L):
            gates = torch.addmm(torch.addmm(a.b_s, x, a.wx_s), h, a.wh_s)
            h, c = self.cell(gates, c)
            logits = torch.addmm(a.b_o, h, a.w_o)
            if self.gumbel == "function":
                onehot = GumbelStraightThrough.apply(logits, TEMPERATURE)
            else:
                onehot = gumbel_textbook(logits, TEMPERATURE)
            messages.append(onehot)
            if t + 1 < L:
                x = onehot @ e_s

        # Receiver: zero initial state, so step 0 has no h @ W_hh.
        if self.receiver_inputs == "batched":
            # The receiver's inputs do not depend on its recurrence: the L
            # embedding products and the L input products are one product
            # each (same FLOPs, L x the rows).
            xs = torch.cat(messages) @ a.e_r                      # (L B) x H
            # unbind, not gx[t]: each select's backward would zero-fill and
            # add a whole L x B x 4H gradient; unbind's stacks once.
            gx = torch.addmm(a.b_r, xs, a.wx_r).view(L, B, -1).unbind(0)
            h, c = self.cell(gx[0], None)
            for t in range(1, L):
                h, c = self.cell(torch.addmm(gx[t], h, a.wh_r), c)
        else:
            h = c = None
            for t in range(L):
                gates = torch.addmm(a.b_r, messages[t] @ a.e_r, a.wx_r)
                if h is not None:
                    gates = torch.addmm(gates, h, a.wh_r)
                h, c = self.cell(gates, c)
        g = torch.addmm(a.b_q, h, a.w_q)
        scores = g @ T.t()
        return hinge_loss(scores), scores

    def step(self):
        loss, scores = self.forward(self.batch_indices())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss, scores


# ---------------------------------------------------------------- FLOPs


def iteration_flops(mode: str, hidden: int, vocabulary: int, length: int, batch: int, widths, convolutions: int,
                    image=IMAGE) -> dict:
    """Koine's count: 2*m*n*k per product; forward, weight gradient, and the
    input gradient where the input is differentiable."""
    H, V, L, B = hidden, vocabulary, length, batch

    def product(m, k, n, input_gradient=True):
        return 2 * m * n * k * (3 if input_gradient else 2)

    conv = 0
    if mode in ("learned", "frozen_each_step"):
        channels, size, first = image[0], image[1], True
        for width in widths:
            for _ in range(convolutions):
                m, k = B * size * size, channels * 9
                # Frozen: the forward product only.
                conv += product(m, k, width, input_gradient=not first) if mode == "learned" else 2 * m * k * width
                channels, first = width, False
            size //= 2
    projection = product(B, widths[-1], H, input_gradient=(mode == "learned"))
    sender = (L * (product(B, H, 4 * H) + product(B, H, 4 * H) + product(B, H, V))
              + (L - 1) * product(B, V, H))
    receiver = (L * (product(B, V, H) + product(B, H, 4 * H)) + (L - 1) * product(B, H, 4 * H)
                + product(B, H, H) + product(B, H, B))  # last: S = g T^T, gradients into g and T
    return {"convolutions": conv, "projection": projection, "sender": sender, "receiver": receiver,
            "total": conv + projection + sender + receiver}


# ---------------------------------------------------------------- check


def check() -> int:
    test = SelfTest("reference of the image game")
    report = test.report

    torch.manual_seed(0)

    # (a) hinge loss by hand.
    S = torch.tensor([[2.0, 1.5, 0.0],
                      [0.5, 0.0, 1.0],
                      [1.0, 3.0, 2.5]], requires_grad=True)
    # Row 0: max(0, 1-2+1.5) + max(0, 1-2+0) = 0.5; row 1: 1.5 + 2 = 3.5;
    # row 2: max(0, 1-2.5+1) + max(0, 1-2.5+3) = 1.5. Mean 5.5 / 3.
    loss = hinge_loss(S)
    loss.backward()
    expected_grad = torch.tensor([[-1.0, 1.0, 0.0], [1.0, -2.0, 1.0], [0.0, 1.0, -1.0]]) / 3
    report(abs(loss.item() - 5.5 / 3) < 1e-6, f"hinge loss of the 3x3 example: {loss.item():.6f} (by hand 5.5/3 = {5.5 / 3:.6f})")
    report(torch.allclose(S.grad, expected_grad, atol=1e-7), "its gradient: active margins give +1/3 to S[b,k], -1/3 per margin to S[b,b]")

    # Both LSTM cells against nn.LSTMCell (b_ih = b, b_hh = 0): gate order
    # i, f, g, o and one bias, values and gradients; and from a zero state.
    H, B = 16, 5
    cell = nn.LSTMCell(H, H).double()
    with torch.no_grad():
        cell.bias_hh.zero_()
    x = torch.randn(B, H, dtype=torch.double, requires_grad=True)
    h0 = torch.randn(B, H, dtype=torch.double, requires_grad=True)
    c0 = torch.randn(B, H, dtype=torch.double, requires_grad=True)
    w = torch.randn(B, H, dtype=torch.double)

    def gates():
        return torch.addmm(torch.addmm(cell.bias_ih, x, cell.weight_ih.t()), h0, cell.weight_hh.t())

    h2, c2 = cell(x, (h0, c0))
    grads2 = torch.autograd.grad((h2 * w).sum() + (c2 * w * w).sum(), (x, h0, c0))
    hz2, cz2 = cell(x, (h0, torch.zeros_like(c0)))
    gradsz2 = torch.autograd.grad((hz2 * w).sum() + cz2.sum(), (x, h0))
    for name, fn in (("plain (torch ops, the default)", lstm_pointwise_plain),
                     ("autograd.Function (--lstm function)", LSTMPointwise.apply)):
        h1, c1 = fn(gates(), c0)
        grads1 = torch.autograd.grad((h1 * w).sum() + (c1 * w * w).sum(), (x, h0, c0))
        hz, cz = fn(gates(), None)
        gradsz = torch.autograd.grad((hz * w).sum() + cz.sum(), (x, h0))
        ok = (torch.allclose(h1, h2) and torch.allclose(c1, c2) and torch.allclose(hz, hz2)
              and all(torch.allclose(a, b) for a, b in zip(grads1 + gradsz, grads2 + gradsz2)))
        report(ok, f"LSTM cell, {name} = nn.LSTMCell with one bias; also from a zero cell state")

    # Gumbel straight-through: same sample and gradient as the textbook form.
    logits = torch.randn(7, 11, dtype=torch.double, requires_grad=True)
    torch.manual_seed(3)
    noise = -torch.log(-torch.log(torch.rand_like(logits)))
    torch.manual_seed(3)
    hard = GumbelStraightThrough.apply(logits, 1.0)
    soft = torch.softmax(logits + noise, dim=1)
    textbook = torch.zeros_like(soft).scatter_(1, soft.argmax(1, keepdim=True), 1.0) - soft.detach() + soft
    w = torch.randn(7, 11, dtype=torch.double)
    g1 = torch.autograd.grad((hard * w).sum(), logits)[0]
    g2 = torch.autograd.grad((textbook * w).sum(), logits)[0]
    report(torch.equal(hard, textbook.detach().round()) and torch.allclose(g1, g2),
           "Gumbel-Softmax straight-through: one-hot forward, softmax gradient (= hard - soft.detach() + soft)")

    # The batched receiver inputs compute the per-step receiver's function.
    small = dict(hidden=32, vocabulary=10, length=3, batch=16, widths=(4, 8), convolutions=1, pool=32)
    losses = []
    for receiver_inputs in ("batched", "per-step"):
        torch.manual_seed(5)
        game = ImageGame("learned", receiver_inputs=receiver_inputs, **small)
        torch.manual_seed(6)
        losses.append(game.forward(torch.arange(16))[0].item())
    report(abs(losses[0] - losses[1]) < 1e-4 * max(1.0, abs(losses[0])),
           f"batched receiver inputs = per-step ones (loss {losses[0]:.5f} vs {losses[1]:.5f})")

    # torch.compile (the default `--compile play`) computes what eager does:
    # with inductor's fallback_random the Gumbel noise is the same draw.
    def games(compiled: bool):
        torch.manual_seed(5)
        game = ImageGame("frozen_random", **small)
        if compiled:
            game.play = torch.compile(game.play)
        torch.manual_seed(6)
        loss, _ = game.forward(torch.arange(16))
        loss.backward()
        return loss.item(), [p.grad.clone() for p in game.agents.parameters()]
    try:
        (l0, g0), (l1, g1) = eager_and_compiled(games)
        same = abs(l0 - l1) < 1e-4 * max(1.0, abs(l0)) and all(
            torch.allclose(a, b, rtol=1e-3, atol=1e-5) for a, b in zip(g0, g1))
        report(same, f"torch.compile'd games = eager ones (loss {l1:.5f} vs {l0:.5f}, and every gradient)")
    except Exception as error:  # noqa: BLE001
        print(unavailable(error))

    # FLOPs: the analytic count against torch's FlopCounterMode.
    for mode in MODES:
        torch.manual_seed(1)
        game = ImageGame(mode, **small)
        counted = torch_flop_count(game.step)
        analytic = iteration_flops(mode, small["hidden"], small["vocabulary"], small["length"], small["batch"],
                                   small["widths"], small["convolutions"])["total"]
        report(counted == analytic, f"FLOPs {mode} (small shapes): analytic {analytic:,} vs FlopCounterMode {counted:,}")
    # Features computed per step are the cached ones.
    tables = []
    for mode in ("frozen_random", "frozen_each_step"):
        torch.manual_seed(1)
        game = ImageGame(mode, **small)
        tables.append(game.table(torch.arange(small["batch"])).detach())
    report(torch.allclose(tables[0], tables[1], rtol=1e-4, atol=1e-5),
           "frozen_each_step's table (features per step) = frozen_random's (cached)")
    for mode in MODES:
        f = iteration_flops(mode, HIDDEN, VOCABULARY, LENGTH, BATCH, WIDTHS, CONVOLUTIONS)
        print(f"       default shapes, {mode}: {f['total']:,} FLOPs per iteration "
              f"(convolutions {f['convolutions']:,}, projection {f['projection']:,}, "
              f"sender {f['sender']:,}, receiver {f['receiver']:,})")

    # (b) It learns: a fixed pool of 256 random images; the communication rate
    # (argmax_k S[b,k] == b) must rise far above chance, 1/128.
    for mode, steps, config in (("frozen_random", 300, {}),
                                ("learned", 400, dict(widths=(8, 16, 32), hidden=128))):
        torch.manual_seed(11)
        game = ImageGame(mode, pool=256, **config)
        rates, losses = [], []
        started = time.perf_counter()
        for i in range(steps):
            loss, scores = game.step()
            rates.append((scores.argmax(1) == torch.arange(game.B)).float().mean().item())
            losses.append(loss.item())
        window = 20
        first_loss, last_loss = sum(losses[:window]) / window, sum(losses[-window:]) / window
        first_rate, last_rate = sum(rates[:window]) / window, sum(rates[-window:]) / window
        shape = ", ".join(f"{k} {v}" for k, v in config.items())
        print(f"       {mode}{' (' + shape + ')' if shape else ''}, 256 images, {steps} steps "
              f"in {time.perf_counter() - started:.0f} s:", flush=True)
        for hi in range(window, steps + 1, (steps - window) // 5):
            lo = hi - window
            print(f"         steps {lo + 1:>3}-{hi:<3}  loss {sum(losses[lo:hi]) / window:8.3f}  "
                  f"communication rate {sum(rates[lo:hi]) / window:.3f}")
        report(last_loss < 0.5 * first_loss,
               f"{mode}: loss falls ({first_loss:.2f} -> {last_loss:.2f}, means of the first and last {window} steps)")
        report(last_rate > 5 / game.B, f"{mode}: communication rate {first_rate:.3f} -> {last_rate:.3f}, "
                                       f"{last_rate * game.B:.0f}x chance (1/{game.B}; needs > 5x)")

    return test.finish()


# ---------------------------------------------------------------- main


def parse_widths(text: str):
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--widths: comma-separated integers (got {text!r})")
    if not widths or any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"--widths: positive integers (got {text!r})")
    return widths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=list(MODES), default="learned")
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--vocabulary", type=int, default=VOCABULARY)
    parser.add_argument("--length", type=int, default=LENGTH, help="message length")
    parser.add_argument("--batch", type=int, default=BATCH, help="images (= games) per step")
    parser.add_argument("--widths", type=parse_widths, default=WIDTHS, help="block widths, e.g. 32,64,128")
    parser.add_argument("--convolutions", type=int, default=CONVOLUTIONS, help="convolutions per block")
    parser.add_argument("--pool", type=int, default=POOL, help="random images the batches are drawn from")
    parser.add_argument("--steps", type=int, default=20, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--check", action="store_true", help="self-test (hinge loss, cell, FLOPs, learning) and exit")
    variants = parser.add_argument_group("variants (the defaults are the fastest measured)")
    variants.add_argument("--layout", choices=["channels_last", "contiguous"], default="channels_last",
                          help="memory format of the conv stack")
    variants.add_argument("--mkldnn", choices=["on", "off"], default="on", help="torch.backends.mkldnn.enabled")
    variants.add_argument("--lstm", choices=["function", "plain"], default="plain",
                          help="cell's elementwise part: torch ops under autograd, or one autograd.Function")
    variants.add_argument("--gumbel", choices=["function", "autograd"], default="function",
                          help="straight-through as one autograd.Function, or hard - soft.detach() + soft")
    variants.add_argument("--receiver-inputs", choices=["batched", "per-step"], default="batched",
                          help="the receiver's embedding and input products: one over all steps, or one per step")
    variants.add_argument("--adam", choices=["fused", "foreach", "loop"], default="fused")
    variants.add_argument("--compile", choices=["none", "play", "forward"], default="none",
                          help="torch.compile the games after the encoder (play: sender, receiver, loss), "
                               "the whole forward, or nothing")
    variants.add_argument("--malloc", choices=["tuned", "default"], default="tuned",
                          help="glibc's mmap and trim thresholds raised (mallopt), or left as they are")
    variants.add_argument("--no-flop-count", action="store_true",
                          help="skip torch's FlopCounterMode step after the timed ones")
    args = parser.parse_args(argv)
    if args.check:
        torch.set_num_threads(args.threads)
        return check()
    for name in ("hidden", "vocabulary", "length", "batch", "convolutions", "pool", "steps", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    if args.pool < args.batch:
        parser.error("--pool must be at least --batch (a batch holds distinct images)")

    use_threads(args.threads)
    torch.backends.mkldnn.enabled = args.mkldnn == "on"
    malloc_tuned = tune_malloc() if args.malloc == "tuned" else False
    torch.manual_seed(args.seed)
    game = ImageGame(args.mode, hidden=args.hidden, vocabulary=args.vocabulary, length=args.length,
                     batch=args.batch, widths=args.widths, convolutions=args.convolutions, pool=args.pool,
                     layout=args.layout, lstm=args.lstm, gumbel=args.gumbel, receiver_inputs=args.receiver_inputs,
                     adam=args.adam)
    eager = getattr(game, args.compile) if args.compile != "none" else None
    compiled, compile_seconds = "none", 0.0
    if args.compile != "none":
        # The first step compiles the forward and then the backward: it is
        # not counted in the warm-up. Without a working toolchain the run
        # goes on eagerly and says so.
        started = time.perf_counter()
        quiet_compiler()
        setattr(game, args.compile, torch.compile(eager))
        try:
            game.step()
            compiled = args.compile
        except Exception as error:  # noqa: BLE001 (any failure of the compiler)
            setattr(game, args.compile, eager)
            compiled = f"failed ({type(error).__name__}), eager"
            print(f"image_game.py: torch.compile failed, running eagerly: {error}".splitlines()[0],
                  file=sys.stderr)
        compile_seconds = time.perf_counter() - started

    for _ in range(args.warmup):
        game.step()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        loss, _ = game.step()
    loss = loss.item()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start

    flops = iteration_flops(args.mode, args.hidden, args.vocabulary, args.length, args.batch, args.widths,
                            args.convolutions)
    ips = args.steps / elapsed
    result = {
        "mode": args.mode,
        "iterations_per_second": round(ips, 4),
        "seconds": round(elapsed, 4),
        # CPU time of the process over the timed steps: on a loaded machine,
        # steps / cpu_seconds is what the run would do with a core to itself.
        "cpu_seconds": round(cpu, 4),
        "iterations_per_cpu_second": round(args.steps / cpu, 4),
        "steps": args.steps,
        "warmup": args.warmup,
        "flops_per_iteration": flops["total"],
        "flops_by_part": flops,
        "gflops": round(flops["total"] * ips / 1e9, 3),
        "threads": args.threads,
        "torch_version": torch.__version__,
        "hidden": args.hidden, "vocabulary": args.vocabulary, "length": args.length, "batch": args.batch,
        "widths": list(args.widths), "convolutions": args.convolutions, "pool": args.pool,
        "variant": {"layout": args.layout, "mkldnn": args.mkldnn, "lstm": args.lstm, "gumbel": args.gumbel,
                    "receiver_inputs": args.receiver_inputs, "adam": args.adam, "compile": compiled,
                    "malloc": "tuned" if malloc_tuned else "default"},
        "compile_seconds": round(compile_seconds, 2),
        "last_loss": round(loss, 5),
    }
    if not args.no_flop_count:
        if eager is not None:
            setattr(game, args.compile, eager)  # torch counts its own dispatched products
        result["torch_flop_count"] = torch_flop_count(game.step)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.mode}: {ips:.3f} iterations/s, {flops['total'] / 1e9:.2f} GFLOP per iteration, "
              f"{flops['total'] * ips / 1e9:.1f} GFLOP/s ({args.threads} thread(s), torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
