#!/usr/bin/python3
"""Golden outputs of the Kiln model zoo, computed by PyTorch.

Weights and inputs come from a closed-form formula (below, mirrored by dev.kiln.models.GoldenWeights
in Java), so only the outputs are stored. Run with Debian's PyTorch from the repository root:

    /usr/bin/python3 models/src/test/resources/golden/make_golden.py

It rewrites the *.safetensors files next to this script. PyTorch 1.13.1 / torchvision 0.14.1 made them.
"""
import json, math, os, struct
import torch, torch.nn as nn, torchvision

torch.set_grad_enabled(False)
HERE = os.path.dirname(os.path.abspath(__file__))


def name_hash(name):
    return sum(ord(c) * (k + 1) for k, c in enumerate(name)) % 9973


def formula(name, shape):
    """The value of every element of parameter or buffer `name`, as float64, before rounding to float32."""
    n = 1
    for d in shape:
        n *= d
    h = name_hash(name)
    t = torch.sin(0.37 * (torch.arange(n, dtype=torch.float64) % 10007) + 0.011 * h)
    if name.endswith("num_batches_tracked"):
        return torch.zeros(n, dtype=torch.float64)
    if name.endswith("running_var"):
        v = 1 + 0.5 * t * t
    elif name.endswith("running_mean"):
        v = 0.1 * t
    elif len(shape) == 1 and name.endswith("weight"):
        v = 1 + 0.1 * t
    elif len(shape) <= 1:
        v = 0.1 * t
    else:
        fan_in = n // shape[0]
        v = t * math.sqrt(3.0 / fan_in)
    return v


def fill(model):
    for name, t in model.state_dict().items():
        t.copy_(formula(name, list(t.shape)).reshape(t.shape).to(t.dtype))
    return model.eval()


def image(shape):
    n = 1
    for d in shape:
        n *= d
    return torch.sin(0.1 * torch.arange(n, dtype=torch.float64) + 0.3).float().reshape(shape)


def tokens(shape, vocab):
    n = 1
    for d in shape:
        n *= d
    return ((torch.arange(n) * 7 + 3) % vocab).reshape(shape)


def save(path, tensors):
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        b = v.contiguous().float().numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"producer": "torch " + torch.__version__}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class RnnLM(nn.Module):
    def __init__(self, mode, vocab, embed, hidden, layers):
        super().__init__()
        self.encoder = nn.Embedding(vocab, embed)
        self.rnn = getattr(nn, mode)(embed, hidden, layers, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, ids):
        return self.decoder(self.rnn(self.encoder(ids))[0])


class Embeddings(nn.Module):
    def __init__(self, vocab, max_len, d):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(max_len, d)
        self.LayerNorm = nn.LayerNorm(d, eps=1e-12)


class Classifier(nn.Module):
    def __init__(self, vocab, max_len, d, heads, layers, ff, classes):
        super().__init__()
        self.embeddings = Embeddings(vocab, max_len, d)
        self.encoder = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, ff, 0.0, activation="gelu", layer_norm_eps=1e-12, batch_first=True)
                                      for _ in range(layers)])
        self.pooler = nn.Linear(d, d)
        self.classifier = nn.Linear(d, classes)

    def forward(self, ids):
        e = self.embeddings
        h = e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings(torch.arange(ids.shape[1])))
        for layer in self.encoder:
            h = layer(h)
        return self.classifier(torch.tanh(self.pooler(h[:, 0])))


def sinusoid(max_len, d):
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    for pos in range(max_len):
        for i in range(d):
            angle = pos / 10000 ** ((i - i % 2) / d)
            pe[pos, i] = math.sin(angle) if i % 2 == 0 else math.cos(angle)
    return pe.float()


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, max_len, d, heads, layers, ff):
        super().__init__()
        self.d = d
        self.src_embed = nn.Embedding(src_vocab, d)
        self.tgt_embed = nn.Embedding(tgt_vocab, d)
        self.encoder = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, ff, 0.0, batch_first=True) for _ in range(layers)])
        self.encoder_norm = nn.LayerNorm(d)
        self.decoder = nn.ModuleList([nn.TransformerDecoderLayer(d, heads, ff, 0.0, batch_first=True) for _ in range(layers)])
        self.decoder_norm = nn.LayerNorm(d)
        self.generator = nn.Linear(d, tgt_vocab)
        self.pe = sinusoid(max_len, d)

    def forward(self, src, tgt):
        h = self.src_embed(src) * math.sqrt(self.d) + self.pe[: src.shape[1]]
        for layer in self.encoder:
            h = layer(h)
        memory = self.encoder_norm(h)
        t = tgt.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        y = self.tgt_embed(tgt) * math.sqrt(self.d) + self.pe[:t]
        for layer in self.decoder:
            y = layer(y, memory, tgt_mask=causal)
        return self.generator(self.decoder_norm(y))


def main():
    out = {}
    out["lenet5"] = fill(LeNet5())(image([2, 1, 32, 32]))
    out["alexnet"] = fill(torchvision.models.alexnet())(image([1, 3, 224, 224]))
    out["googlenet"] = fill(torchvision.models.googlenet(aux_logits=False, init_weights=False))(image([1, 3, 224, 224]))
    out["resnet18"] = fill(torchvision.models.resnet18())(image([1, 3, 224, 224]))
    out["lstm_lm"] = fill(RnnLM("LSTM", 50, 16, 24, 2))(tokens([2, 7], 50))
    out["gru_lm"] = fill(RnnLM("GRU", 50, 16, 24, 2))(tokens([2, 7], 50))
    out["transformer_classifier"] = fill(Classifier(100, 16, 32, 4, 2, 64, 3))(tokens([2, 9], 100))
    out["transformer"] = fill(Seq2Seq(60, 70, 16, 32, 4, 2, 64))(tokens([2, 6], 60), tokens([2, 5], 70))
    for k, v in out.items():
        save(os.path.join(HERE, k + ".safetensors"), {"output": v})
        print(k, tuple(v.shape), float(v.abs().mean()))


if __name__ == "__main__":
    main()
