package dev.kiln.bench;

import dev.kiln.Device;
import dev.kiln.models.AlexNet;
import dev.kiln.models.GoogLeNet;
import dev.kiln.models.LeNet5;
import dev.kiln.models.ResNet;
import dev.kiln.models.VGG;
import dev.kiln.nn.Module;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** A zoo model as the bench runs it: how to build it on a device and the image it takes. */
public record ZooModel(String name, int channels, int height, int width, Function<Device, Module> build) {

    /** Every image model the bench knows, in the order it runs them. */
    public static final List<ZooModel> ALL = List.of(
            new ZooModel("lenet5", 1, 32, 32, d -> LeNet5.builder(d).build()),
            new ZooModel("alexnet", 3, 224, 224, d -> AlexNet.builder(d).build()),
            new ZooModel("googlenet", 3, 224, 224, d -> GoogLeNet.builder(d).build()),
            new ZooModel("resnet18", 3, 224, 224, d -> ResNet.builder(d).depth(18).build()),
            new ZooModel("resnet50", 3, 224, 224, d -> ResNet.builder(d).depth(50).build()),
            new ZooModel("vgg16", 3, 224, 224, d -> VGG.builder(d).build()));

    /** What {@code ./kiln bench} runs when no --models is given: the ones a CPU finishes in minutes. */
    public static final List<String> DEFAULT = List.of("lenet5", "alexnet", "googlenet", "resnet18");

    public static Optional<ZooModel> byName(String name) {
        return ALL.stream().filter(m -> m.name.equals(name)).findFirst();
    }

    public int[] inputDims(int batch) { return new int[] {batch, channels, height, width}; }

    public String geometry() { return channels + "x" + height + "x" + width; }
}
