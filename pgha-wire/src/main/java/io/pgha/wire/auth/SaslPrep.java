package io.pgha.wire.auth;

import java.text.Normalizer;

/**
 * The SASLprep (RFC 4013) that PostgreSQL applies to a password before SCRAM hashes it, as far as
 * the router needs it: ASCII passwords are unchanged; otherwise non-ASCII spaces become a space,
 * characters "commonly mapped to nothing" are dropped and the result is NFKC-normalised. Where
 * PostgreSQL would find a prohibited character it uses the password as given, and so does this.
 */
final class SaslPrep {
    private SaslPrep() {}

    static String prepare(String password) {
        boolean ascii = true;
        for (int i = 0; i < password.length() && ascii; i++) ascii = password.charAt(i) < 0x80;
        if (ascii) return password;
        StringBuilder mapped = new StringBuilder(password.length());
        for (int i = 0; i < password.length(); ) {
            int cp = password.codePointAt(i);
            i += Character.charCount(cp);
            if (mappedToNothing(cp)) continue;
            if (nonAsciiSpace(cp)) mapped.append(' ');
            else mapped.appendCodePoint(cp);
        }
        String normalised = Normalizer.normalize(mapped, Normalizer.Form.NFKC);
        for (int i = 0; i < normalised.length(); ) {
            int cp = normalised.codePointAt(i);
            i += Character.charCount(cp);
            if (prohibited(cp)) return password;
        }
        return normalised;
    }

    /** RFC 3454 table B.1. */
    private static boolean mappedToNothing(int cp) {
        return cp == 0x00AD
                || cp == 0x034F
                || cp == 0x1806
                || (cp >= 0x180B && cp <= 0x180D)
                || (cp >= 0x200B && cp <= 0x200D)
                || cp == 0x2060
                || (cp >= 0xFE00 && cp <= 0xFE0F)
                || cp == 0xFEFF;
    }

    /** RFC 3454 table C.1.2. */
    private static boolean nonAsciiSpace(int cp) {
        return cp == 0x00A0
                || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200B)
                || cp == 0x202F
                || cp == 0x205F
                || cp == 0x3000;
    }

    /** Control, private-use, surrogate, non-character and other prohibited code points (RFC 4013 section 2.3, in outline). */
    private static boolean prohibited(int cp) {
        int type = Character.getType(cp);
        return type == Character.CONTROL
                || type == Character.PRIVATE_USE
                || type == Character.SURROGATE
                || type == Character.UNASSIGNED
                || (cp >= 0xFDD0 && cp <= 0xFDEF)
                || (cp & 0xFFFE) == 0xFFFE
                || (cp >= 0x2FF0 && cp <= 0x2FFB)
                || (cp >= 0x200E && cp <= 0x200F)
                || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x206A && cp <= 0x206F);
    }
}
