import descent.runtime.Npy;
import descent.runtime.api.TrainingSession;
import example.Mlp;
import java.nio.file.Path;

/**
 * An application that embeds a compiled model: the class path holds only Descent's runtime jar and the
 * model jar `descent compile examples/mlp.descent -o mlp.jar --package example` wrote. The typed façade
 * (example.Mlp) is checked by javac: step(...) takes the inputs the train block reads, probs(...) the
 * ones that output reads (and, in its second form, the array to write the output into).
 *
 *   java --add-modules jdk.incubator.vector -cp RUNTIME.jar:mlp.jar examples/app/TrainMlp.java [CHECKPOINT]
 */
public final class TrainMlp {
    public static void main(String[] args) {
        Mlp model = new Mlp();
        TrainingSession session = model.newSession(42);
        float[] x = Npy.read(Path.of("examples/data/mlp/x.npy")).floats();
        int[] labels = Npy.read(Path.of("examples/data/mlp/labels.npy")).ints();

        float first = model.step(session, x, labels), last = first;
        for (int i = 1; i < 300; i++) last = model.step(session, x, labels);
        System.out.printf("trained 300 steps: loss %.4f -> %.4f%n", first, last);

        Path checkpoint = Path.of(args.length > 0 ? args[0] : "/tmp/descent-app.safetensors");
        session.save(checkpoint);
        System.out.println("saved " + session.state().size() + " tensors to " + checkpoint);

        // probs(session, x) returns a new array; probs(session, x, into) fills one, so a loop of them allocates nothing.
        float[] probs = new float[labels.length * 3];
        model.probs(session, x, probs);
        if (!java.util.Arrays.equals(probs, model.probs(session, x))) throw new IllegalStateException("the two probs differ");
        int correct = 0, classes = 3;
        for (int row = 0; row < labels.length; row++) {
            int best = 0;
            for (int c = 1; c < classes; c++) if (probs[row * classes + c] > probs[row * classes + best]) best = c;
            if (best == labels[row]) correct++;
        }
        System.out.printf("predicted %d of %d training points correctly%n", correct, labels.length);
        if (!(last < first) || correct < labels.length / 2) throw new IllegalStateException("training did not work");
    }
}
