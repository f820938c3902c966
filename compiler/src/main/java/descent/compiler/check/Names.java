package descent.compiler.check;

import java.util.Collection;

/** "Did you mean" suggestions. */
final class Names {
    private Names() {}

    /** The candidate nearest to {@code name} by edit distance, if near enough to be a likely typo. */
    static String closest(String name, Collection<String> candidates) {
        String best = null;
        int bestDist = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(name, c);
            if (d < bestDist) { bestDist = d; best = c; }
        }
        int limit = Math.max(1, Math.min(3, name.length() / 3));
        return bestDist <= limit ? best : null;
    }

    static int distance(String a, String b) {
        int[] prev2 = new int[b.length() + 1], prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                // Two swapped neighbours (`rleu` for `relu`) count as one edit.
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
                }
            }
            int[] t = prev2; prev2 = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
