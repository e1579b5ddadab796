package io.pgha.dcs;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.pgha.core.model.Lsn;
import java.io.IOException;

/** The JSON form of the model, shared by the DCS, the REST API and the CLI. LSNs are text. */
public final class Json {
    public static final ObjectMapper MAPPER = create();

    private Json() {}

    private static ObjectMapper create() {
        SimpleModule lsn = new SimpleModule("pgha-lsn");
        lsn.addSerializer(Lsn.class, new JsonSerializer<>() {
            @Override
            public void serialize(Lsn value, JsonGenerator gen, SerializerProvider p) throws IOException {
                gen.writeString(value.toString());
            }
        });
        lsn.addDeserializer(Lsn.class, new JsonDeserializer<>() {
            @Override
            public Lsn deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                return Lsn.parse(p.getValueAsString());
            }
        });
        // The resource settings, and the replication sets with their journal, are stored as people
        // write them: their records hold scores and enums whose written form is the one the decoder
        // validates.
        writtenForm(
                lsn,
                io.pgha.core.resource.ResourceConfig.class,
                io.pgha.core.config.ResourceSettings::toMap,
                io.pgha.core.model.DynamicConfig::resources);
        writtenForm(
                lsn,
                io.pgha.core.sets.SetsConfig.class,
                v -> io.pgha.core.config.SetsSettings.toMap(v, true),
                io.pgha.core.model.DynamicConfig::sets);
        return new ObjectMapper()
                .registerModule(lsn)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .configure(SerializationFeature.INDENT_OUTPUT, false);
    }

    /**
     * Serializes {@code type} as its settings ({@code toMap}) and reads it back through the
     * validation of the dynamic settings ({@code part} of the config they make).
     */
    private static <T> void writtenForm(
            SimpleModule module,
            Class<T> type,
            java.util.function.Function<T, java.util.Map<String, Object>> toMap,
            java.util.function.Function<io.pgha.core.model.DynamicConfig, T> part) {
        module.addSerializer(type, new JsonSerializer<>() {
            @Override
            public void serialize(T value, JsonGenerator gen, SerializerProvider p) throws IOException {
                gen.writeObject(toMap.apply(value));
            }
        });
        module.addDeserializer(type, new JsonDeserializer<>() {
            @Override
            public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                java.util.Map<String, Object> written = p.readValueAs(
                        new com.fasterxml.jackson.core.type.TypeReference<
                                java.util.LinkedHashMap<String, Object>>() {});
                try {
                    return part.apply(io.pgha.core.config.DynamicSettings.apply(
                            io.pgha.core.model.DynamicConfig.DEFAULT, written));
                } catch (io.pgha.core.config.ConfigException e) {
                    throw new com.fasterxml.jackson.databind.JsonMappingException(p, e.getMessage(), e);
                }
            }
        });
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static String text(Object value) {
        return new String(bytes(value), java.nio.charset.StandardCharsets.UTF_8);
    }

    public static String pretty(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static <T> T parse(byte[] data, Class<T> type) throws IOException {
        return MAPPER.readValue(data, type);
    }
}
