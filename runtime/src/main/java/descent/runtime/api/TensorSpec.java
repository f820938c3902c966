package descent.runtime.api;

import descent.runtime.DType;
import java.util.List;

/** An input's or output's type: dtype and dimensions, each a size ("784") or a symbol bound at run time ("batch"). */
public record TensorSpec(String name, DType dtype, List<String> dims) {
    public TensorSpec { dims = List.copyOf(dims); }

    @Override public String toString() { return name + ": " + dtype + dims; }
}
