package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.runtime.Npy;
import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code descent predict}: batched evaluation of one output over all rows, written as one .npy. */
class PredictCliTest {
    static String ex(String file) { return CliTest.ex(file); }

    @Test
    void predictsInBatchesWhatOneEvaluationComputes(@TempDir Path tmp) throws IOException {
        Path data = TrainCliTest.mlpData(tmp), ckpt = tmp.resolve("c.safetensors");
        TrainCliTest.ok("train", ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--epochs", "3",
                "--batch-size", "4", "--save", ckpt.toString());
        Path out = tmp.resolve("probs.npy"), ref = tmp.resolve("ref.npy");
        CliTest.Result r = TrainCliTest.ok("predict", ex("mlp.descent"), "--restore", ckpt.toString(), "--data", data.toString(),
                "--out", out.toString(), "--batch-size", "5");
        assertTrue(r.out().contains("wrote probs f32[12, 3] for 12 rows"), r.out());
        // The same values as evaluating all rows at once with descent run.
        TrainCliTest.ok("run", ex("mlp.descent"), "--steps", "0", "--restore", ckpt.toString(),
                "--feed", "x=" + data.resolve("x.npy"), "--feed", "labels=" + data.resolve("labels.npy"), "--fetch", "probs=" + ref);
        Tensor got = Npy.read(out), want = Npy.read(ref);
        assertArrayEquals(want.shape(), got.shape());
        assertArrayEquals(want.floats(), got.floats());

        // --output picks another value; a CSV may keep its label column, which predict does not need.
        Path csv = TrainCliTest.spiralCsv(tmp.resolve("s.csv"), "a", "b", 9);
        Path logits = tmp.resolve("logits.npy");
        TrainCliTest.ok("predict", ex("mlp.descent"), "--restore", ckpt.toString(), "--data", csv.toString(),
                "--out", logits.toString(), "--output", "logits");
        assertArrayEquals(new int[] {9, 3}, Npy.read(logits).shape());
        // One .npy file for a one-input computation.
        Path single = tmp.resolve("single.npy");
        TrainCliTest.ok("predict", ex("mlp.descent"), "--restore", ckpt.toString(), "--data", data.resolve("x.npy").toString(),
                "--out", single.toString());
        assertArrayEquals(got.floats(), Npy.read(single).floats());
    }

    @Test
    void badInputIsOneLineAndWritesNothing(@TempDir Path tmp) throws IOException {
        Path data = TrainCliTest.mlpData(tmp), ckpt = tmp.resolve("c.safetensors");
        TrainCliTest.ok("train", ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--save", ckpt.toString());
        Path out = tmp.resolve("out.npy");
        String[] base = {"predict", ex("mlp.descent"), "--restore", ckpt.toString(), "--data", data.toString(), "--out", out.toString()};
        TrainErrorsTest.fails(tmp, "model mlp has no output `nope` (outputs: probs f32[batch, 3], loss f32[])",
                CliTest.args(base, "--output", "nope"));
        TrainErrorsTest.fails(tmp, "`loss` is f32[], with no batch dimension", CliTest.args(base, "--output", "loss"));
        TrainErrorsTest.fails(tmp, "cannot write " + tmp.resolve("none/out.npy"), "predict", ex("mlp.descent"), "--restore",
                ckpt.toString(), "--data", data.toString(), "--out", tmp.resolve("none/out.npy").toString());
        TrainErrorsTest.fails(tmp, "missing.safetensors", "predict", ex("mlp.descent"), "--restore",
                tmp.resolve("missing.safetensors").toString(), "--data", data.toString(), "--out", out.toString());
        // Untrained weights would give plausible-looking predictions: a checkpoint of the wrong model is an error.
        Path other = tmp.resolve("other.safetensors");
        SafeTensors.write(other, java.util.Map.of("w1", SafeTensors.read(ckpt).get("w1")));
        TrainErrorsTest.fails(tmp, other + " lacks the model's variables b1, w2, b2 (was it saved from another model?)",
                "predict", ex("mlp.descent"), "--restore", other.toString(), "--data", data.toString(), "--out", out.toString());
        Path csv = tmp.resolve("bad.csv");
        Files.writeString(csv, "a,b\n1,2\n3,nan\n");
        TrainErrorsTest.fails(tmp, "bad.csv:3: column `b` is NaN", "predict", ex("mlp.descent"), "--restore", ckpt.toString(),
                "--data", csv.toString(), "--out", out.toString());
        Files.writeString(csv, "a,b,c\n1,2,3\n");
        TrainErrorsTest.fails(tmp, "there are 3 of them (a, b, c), not 2", "predict", ex("mlp.descent"), "--restore",
                ckpt.toString(), "--data", csv.toString(), "--out", out.toString());
        assertEquals(false, Files.exists(out));
    }
}
