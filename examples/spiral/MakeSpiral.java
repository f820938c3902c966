import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * Writes the spiral data set the spiral example trains on: CLASSES interleaved spiral arms in the plane,
 * POINTS points per arm with a little noise, as a CSV with columns x_0, x_1, labels (seeded: the same
 * file every time).
 *
 *   java examples/spiral/MakeSpiral.java OUT.csv [POINTS] [CLASSES] [SEED]
 */
public final class MakeSpiral {
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: java examples/spiral/MakeSpiral.java OUT.csv [POINTS] [CLASSES] [SEED]");
            System.exit(2);
        }
        int points = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int classes = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Random random = new Random(args.length > 3 ? Long.parseLong(args[3]) : 7);
        StringBuilder csv = new StringBuilder("x_0,x_1,labels\n");
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < points; i++) {
                double r = (double) i / points;
                double angle = c * 2 * Math.PI / classes + r * 4 + random.nextGaussian() * 0.2;
                csv.append(String.format(Locale.ROOT, "%.5f,%.5f,%d%n", r * Math.cos(angle), r * Math.sin(angle), c));
            }
        }
        Files.writeString(Path.of(args[0]), csv);
        System.out.println("wrote " + points * classes + " points of " + classes + " spiral arms to " + args[0]);
    }
}
