package dev.vigil.tls;

import dev.vigil.files.PrivateFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

/** PKCS12 key stores (a key and its chain) and trust stores (the authorities trusted), as Kafka reads them. */
public final class KeyStores {
    public static final String TYPE = "PKCS12";

    private KeyStores() {
    }

    /** Writes the key and its chain under {@code alias}, owner-only (see {@link PrivateFiles}). */
    public static void writeKeyStore(Path file, char[] password, String alias, CertificateAuthority.Issued issued)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(TYPE);
        store.load(null, null);
        store.setKeyEntry(alias, issued.key(), password, issued.chain());
        save(store, file, password);
    }

    /**
     * Writes a trust store of the given authorities (one while all is well; the old and the new during a rotation),
     * owner-only.
     */
    public static void writeTrustStore(Path file, char[] password, X509Certificate... authorities)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(TYPE);
        store.load(null, null);
        for (int i = 0; i < authorities.length; i++) {
            store.setCertificateEntry("ca-" + i, authorities[i]);
        }
        save(store, file, password);
    }

    private static void save(KeyStore store, Path file, char[] password) throws IOException, GeneralSecurityException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        store.store(bytes, password);
        PrivateFiles.write(file, bytes.toByteArray());
    }
}
