package descent.runtime;

/** The element types a Descent tensor can have, with their names in the language, in NumPy and in SafeTensors. */
public enum DType {
    F32("f32", "<f4", "F32", 4, true),
    F64("f64", "<f8", "F64", 8, true),
    I32("i32", "<i4", "I32", 4, false),
    I64("i64", "<i8", "I64", 8, false);

    private final String languageName;
    private final String numpyDescr;
    private final String safetensorsName;
    private final int byteSize;
    private final boolean floating;

    DType(String languageName, String numpyDescr, String safetensorsName, int byteSize, boolean floating) {
        this.languageName = languageName;
        this.numpyDescr = numpyDescr;
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** The name used in model files: {@code f32}, {@code f64}, {@code i32}, {@code i64}. */
    public String languageName() { return languageName; }
    /** The little-endian NumPy {@code descr}, e.g. {@code <f4}. */
    public String numpyDescr() { return numpyDescr; }
    /** The SafeTensors dtype string, e.g. {@code F32}. */
    public String safetensorsName() { return safetensorsName; }
    public int byteSize() { return byteSize; }
    public boolean isFloating() { return floating; }

    public static DType fromLanguageName(String name) {
        for (DType d : values()) if (d.languageName.equals(name)) return d;
        return null;
    }

    @Override public String toString() { return languageName; }
}
