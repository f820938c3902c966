package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `descent train --threads T`: the same checkpoint, bit for bit, as one thread; a count below 1 is a usage error. */
class TrainThreadsCliTest {
    @Test
    void moreThreadsWriteTheSameCheckpoint(@TempDir Path tmp) throws IOException {
        Path data = TrainCliTest.mlpData(tmp);
        Path one = train(data, tmp, 1), three = train(data, tmp, 3);
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(three));
    }

    private static Path train(Path data, Path tmp, int threads) {
        Path ckpt = tmp.resolve("threads-" + threads + ".safetensors");
        TrainCliTest.ok("train", ExampleGoldenTest.ROOT.resolve("examples/mlp.descent").toString(), "--data", data.toString(),
                "--train", "step", "--epochs", "3", "--batch-size", "4", "--progress", "none", "--save", ckpt.toString(), "--threads", "" + threads);
        return ckpt;
    }

    @Test
    void zeroThreadsIsAUsageError(@TempDir Path tmp) throws IOException {
        Path data = TrainCliTest.mlpData(tmp);
        CliTest.Result r = CliTest.descent("train", ExampleGoldenTest.ROOT.resolve("examples/mlp.descent").toString(), "--data",
                data.toString(), "--threads", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--threads must be from 1 to 1024, not 0"), r.err());
    }
}
