package io.pgha.postgres;

import io.pgha.core.config.ParameterCheck;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PostgreSQL's own description of its parameters ({@code pg_settings}: type, unit, range, enum
 * values, context), against which cluster-wide settings are checked before they are written.
 */
public final class SettingsCatalog {
    private SettingsCatalog() {}

    /** Every parameter {@code conn}'s server knows, by name. */
    public static Map<String, ParameterCheck.Setting> read(Connection conn) throws SQLException {
        Map<String, ParameterCheck.Setting> out = new HashMap<>();
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT name, vartype, unit, min_val, max_val, enumvals, context FROM pg_settings")) {
            while (rs.next()) {
                Array enums = rs.getArray(6);
                List<String> values = enums == null ? List.of() : Arrays.asList((String[]) enums.getArray());
                out.put(
                        rs.getString(1),
                        new ParameterCheck.Setting(
                                rs.getString(1),
                                rs.getString(2),
                                rs.getString(3),
                                rs.getString(4),
                                rs.getString(5),
                                values,
                                rs.getString(7)));
            }
        }
        return out;
    }
}
