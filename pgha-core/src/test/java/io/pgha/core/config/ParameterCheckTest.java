package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.ParameterCheck.Setting;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Values checked as PostgreSQL 15's pg_settings describes them. */
class ParameterCheckTest {
    static final Map<String, Setting> CATALOG = Map.of(
            "work_mem", new Setting("work_mem", "integer", "kB", "64", "2147483647", List.of(), "user"),
            "shared_buffers",
                    new Setting("shared_buffers", "integer", "8kB", "16", "1073741823", List.of(), "postmaster"),
            "statement_timeout",
                    new Setting("statement_timeout", "integer", "ms", "0", "2147483647", List.of(), "user"),
            "log_checkpoints", new Setting("log_checkpoints", "bool", null, null, null, List.of(), "sighup"),
            "wal_level",
                    new Setting(
                            "wal_level",
                            "enum",
                            null,
                            null,
                            null,
                            List.of("minimal", "replica", "logical"),
                            "postmaster"),
            "random_page_cost", new Setting("random_page_cost", "real", null, "0", "1.79769e+308", List.of(), "user"),
            "application_name", new Setting("application_name", "string", null, null, null, List.of(), "user"));

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            nullValues = "null",
            value = {
                "work_mem          | 64MB      | null",
                "work_mem          | 4096      | null",
                "work_mem          | 1GB       | null",
                "work_mem          | 10kB      | postgresql.parameters.work_mem: 10kB is below the minimum 64 (in kB)",
                "work_mem          | lots      | postgresql.parameters.work_mem: 'lots' is not a number (a number of kB, or with a unit such as MB or GB)",
                "work_mem          | 5s        | postgresql.parameters.work_mem: 's' is not a unit of this parameter (a number of kB, or with a unit such as MB or GB)",
                "work_mem          | 1.5       | postgresql.parameters.work_mem: '1.5' is not a whole number",
                "shared_buffers    | 128MB     | null",
                "shared_buffers    | 64kB      | postgresql.parameters.shared_buffers: 64kB is below the minimum 16 (in 8kB)",
                "statement_timeout | 5min      | null",
                "statement_timeout | 30s       | null",
                "log_checkpoints   | on        | null",
                "log_checkpoints   | maybe     | postgresql.parameters.log_checkpoints: 'maybe' is not a boolean (on, off, true, false, 1, 0)",
                "wal_level         | LOGICAL   | null",
                "wal_level         | archive   | postgresql.parameters.wal_level: 'archive' is not one of minimal, replica, logical",
                "random_page_cost  | 1.1       | null",
                "random_page_cost  | -1        | postgresql.parameters.random_page_cost: -1 is below the minimum 0",
                "application_name  | anything  | null",
                "wrok_mem          | 64MB      | postgresql.parameters.wrok_mem: PostgreSQL has no parameter of this name",
                "pg_stat_statements.max | 10000 | null",
                "port              | 5433      | postgresql.parameters.port: is managed by pgha and cannot be set",
            })
    void checksAsPostgresDescribesTheParameter(String name, String value, String problem) {
        assertThat(ParameterCheck.problem(name, value, CATALOG)).isEqualTo(problem);
    }
}
