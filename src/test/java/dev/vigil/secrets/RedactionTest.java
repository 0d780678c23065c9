package dev.vigil.secrets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Secret values leave no message: URL credentials and the values of settings named as secrets. */
class RedactionTest {
    @Test
    void settingsNamedAsSecretsLoseTheirValueToTheEndOfTheLine() {
        assertThat(Redaction.text("sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule "
                + "required username=\"vigil\" password=\"s3cret\";\nsecurity.protocol=SASL_SSL"))
                .isEqualTo("sasl.jaas.config=***\nsecurity.protocol=SASL_SSL");
        assertThat(Redaction.text("ssl.keystore.password = k3y")).isEqualTo("ssl.keystore.password = ***");
        assertThat(Redaction.text("  password: hunter2")).isEqualTo("  password: ***");
        assertThat(Redaction.text("{\"api_key\":\"abc\",\"fps\":2}")).isEqualTo("{\"api_key\":***");
        assertThat(Redaction.text("token=abc; passwd: x; client_secret=y")).doesNotContain("abc", " x", "=y");
        assertThat(Redaction.text("source: rtsp://admin:hunter2@10.0.0.12/s"))
                .isEqualTo("source: rtsp://***@10.0.0.12/s");
    }

    @Test
    void ordinaryTextIsLeftAlone() {
        for (String text : new String[]{"fps must be a number, got text \"x\"", "Duplicate field 'password'",
                "cannot read the dashboard token from /etc/vigil/token: it is empty", "security.protocol=SSL", ""}) {
            assertThat(Redaction.text(text)).as(text).isEqualTo(text);
        }
        assertThat(Redaction.text(null)).isNull();
    }

    @Test
    void secretNamesAreRecognised() {
        assertThat(Redaction.isSecretName("ssl.truststore.password")).isTrue();
        assertThat(Redaction.isSecretName("sasl.jaas.config")).isTrue();
        assertThat(Redaction.isSecretName("VIGIL_DASHBOARD_TOKEN")).isTrue();
        assertThat(Redaction.isSecretName("ssl.truststore.location")).isFalse();
        assertThat(Redaction.isSecretName("bootstrap.servers")).isFalse();
    }
}
