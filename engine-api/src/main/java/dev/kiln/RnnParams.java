package dev.kiln;

/**
 * A stacked, optionally bidirectional LSTM or GRU, laid out as {@code torch.nn.LSTM} / {@code GRU}:
 * input [T, N, inputSize] (sequence first), states [layers * directions, N, hidden], and per layer and
 * direction the weights {@code w_ih [gates * hidden, in]}, {@code w_hh [gates * hidden, hidden]},
 * {@code b_ih [gates * hidden]}, {@code b_hh [gates * hidden]}, in PyTorch's order (layer 0 forward,
 * layer 0 reverse, layer 1 forward, ...). Gate order: LSTM i, f, g, o; GRU r, z, n.
 */
public record RnnParams(Mode mode, int inputSize, int hiddenSize, int numLayers, boolean bidirectional) {
    public enum Mode { LSTM, GRU }

    public RnnParams {
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1) {
            throw new ShapeException("rnn: inputSize, hiddenSize and numLayers must be >= 1, got " + inputSize + ", " + hiddenSize + ", " + numLayers);
        }
    }

    public int directions() { return bidirectional ? 2 : 1; }

    public int gates() { return mode == Mode.LSTM ? 4 : 3; }

    /** Input width of {@code layer}: inputSize for layer 0, hidden * directions above. */
    public int layerInput(int layer) { return layer == 0 ? inputSize : hiddenSize * directions(); }

    /** Number of weight tensors: four per layer and direction. */
    public int weightCount() { return 4 * numLayers * directions(); }
}
