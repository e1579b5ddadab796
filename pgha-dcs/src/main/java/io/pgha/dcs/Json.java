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
        // The resource settings are stored as people write them: their records hold scores and
        // enums whose written form is the one the decoder validates.
        lsn.addSerializer(io.pgha.core.resource.ResourceConfig.class, new JsonSerializer<>() {
            @Override
            public void serialize(io.pgha.core.resource.ResourceConfig value, JsonGenerator gen, SerializerProvider p)
                    throws IOException {
                gen.writeObject(io.pgha.core.config.ResourceSettings.toMap(value));
            }
        });
        lsn.addDeserializer(io.pgha.core.resource.ResourceConfig.class, new JsonDeserializer<>() {
            @Override
            public io.pgha.core.resource.ResourceConfig deserialize(JsonParser p, DeserializationContext ctx)
                    throws IOException {
                java.util.Map<String, Object> written = p.readValueAs(
                        new com.fasterxml.jackson.core.type.TypeReference<
                                java.util.LinkedHashMap<String, Object>>() {});
                try {
                    return io.pgha.core.config.DynamicSettings.apply(io.pgha.core.model.DynamicConfig.DEFAULT, written)
                            .resources();
                } catch (io.pgha.core.config.ConfigException e) {
                    throw new com.fasterxml.jackson.databind.JsonMappingException(p, e.getMessage(), e);
                }
            }
        });
        // So are the replication sets and their journal (replication_sets, replication_sets_journal).
        lsn.addSerializer(io.pgha.core.sets.SetsConfig.class, new JsonSerializer<>() {
            @Override
            public void serialize(io.pgha.core.sets.SetsConfig value, JsonGenerator gen, SerializerProvider p)
                    throws IOException {
                gen.writeObject(io.pgha.core.config.SetsSettings.toMap(value, true));
            }
        });
        lsn.addDeserializer(io.pgha.core.sets.SetsConfig.class, new JsonDeserializer<>() {
            @Override
            public io.pgha.core.sets.SetsConfig deserialize(JsonParser p, DeserializationContext ctx)
                    throws IOException {
                java.util.Map<String, Object> written = p.readValueAs(
                        new com.fasterxml.jackson.core.type.TypeReference<
                                java.util.LinkedHashMap<String, Object>>() {});
                try {
                    return io.pgha.core.config.DynamicSettings.apply(io.pgha.core.model.DynamicConfig.DEFAULT, written)
                            .sets();
                } catch (io.pgha.core.config.ConfigException e) {
                    throw new com.fasterxml.jackson.databind.JsonMappingException(p, e.getMessage(), e);
                }
            }
        });
        return new ObjectMapper()
                .registerModule(lsn)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .configure(SerializationFeature.INDENT_OUTPUT, false);
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
