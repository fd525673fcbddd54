package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.RnnParams;
import dev.kiln.Tensor;
import dev.kiln.nn.Module;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Every zoo model by name, with the input it takes: what {@code ./kiln run} and {@code ./kiln bench}
 * iterate over. Image models take [N, C, H, W] F32; language models take token ids [N, T] I64.
 */
public final class Zoo {
    private Zoo() {}

    /** How to build a model and a sample input of a given batch size. */
    public record Entry(String name, String description, java.util.function.Function<Device, Module> build,
                        BiFunction<Device, Integer, Tensor> sampleInput, boolean tokens) {
        /**
         * Inference: runs the model on its input without recording gradients ({@link Transformer} decodes
         * teacher-forced against the input as target).
         */
        public Tensor infer(Module model, Tensor input) {
            try (var noGrad = dev.kiln.autograd.Autograd.noGrad()) {
                return forward(model, input);
            }
        }

        /** The forward pass as training runs it (recording gradients when parameters require them). */
        public Tensor forward(Module model, Tensor input) {
            return model instanceof Transformer t ? t.forward(input, input) : model.forward(input);
        }
    }

    private static BiFunction<Device, Integer, Tensor> image(int c, int h, int w) {
        return (d, n) -> d.randn(new Generator(42), n, c, h, w);
    }

    private static BiFunction<Device, Integer, Tensor> tokens(int vocab, int length) {
        return (d, n) -> {
            long[] ids = new long[n * length];
            for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919L + 13) % vocab;
            return d.fromArray(ids, n, length);
        };
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    private static void add(String name, String description, java.util.function.Function<Device, Module> build,
                            BiFunction<Device, Integer, Tensor> input, boolean tokens) {
        ENTRIES.put(name, new Entry(name, description, build, input, tokens));
    }

    static {
        add("lenet", "LeNet-5, 1x32x32, 10 classes", d -> LeNet5.builder(d).build(), image(1, 32, 32), false);
        add("alexnet", "AlexNet (torchvision), 3x224x224", d -> AlexNet.builder(d).build(), image(3, 224, 224), false);
        add("vgg11", "VGG-11 (torchvision), 3x224x224", d -> VGG.builder(d).depth(11).build(), image(3, 224, 224), false);
        add("vgg16", "VGG-16 (torchvision), 3x224x224", d -> VGG.builder(d).depth(16).build(), image(3, 224, 224), false);
        add("nin", "NiN (d2l), 1x224x224, 10 classes", d -> NiN.builder(d).build(), image(1, 224, 224), false);
        add("googlenet", "GoogLeNet (torchvision), 3x224x224", d -> GoogLeNet.builder(d).build(), image(3, 224, 224), false);
        add("resnet18", "ResNet-18 (torchvision), 3x224x224", d -> ResNet.builder(d).depth(18).build(), image(3, 224, 224), false);
        add("resnet50", "ResNet-50 (torchvision), 3x224x224", d -> ResNet.builder(d).depth(50).build(), image(3, 224, 224), false);
        add("lstm-lm", "2-layer LSTM language model, vocab 10000, 650 wide, 35 tokens",
                d -> RnnLanguageModel.builder(d).build(), tokens(10000, 35), true);
        add("gru-lm", "2-layer GRU language model, vocab 10000, 650 wide, 35 tokens",
                d -> RnnLanguageModel.builder(d).mode(RnnParams.Mode.GRU).build(), tokens(10000, 35), true);
        add("bert-base", "Transformer encoder classifier, BERT-base shape, 128 tokens",
                d -> TransformerClassifier.builder(d).build(), tokens(30522, 128), true);
        add("transformer", "Encoder-decoder Transformer (base), 64 tokens",
                d -> Transformer.builder(d).build(), tokens(32000, 64), true);
    }

    public static List<String> names() { return List.copyOf(ENTRIES.keySet()); }

    public static Entry get(String name) {
        Entry e = ENTRIES.get(name);
        if (e == null) throw new dev.kiln.KilnException("no model named '" + name + "'; the zoo has " + names());
        return e;
    }
}
