package dev.vigil.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * A certificate authority made in memory: its key signs the certificates of brokers and clients, and its
 * certificate is what they trust. Keys are EC P-256 (fast to make, which matters when every broker start makes a
 * fresh set). Nothing here is written to disk: {@link KeyStores} does that, with owner-only permissions.
 */
public final class CertificateAuthority {
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair keys;
    private final X509Certificate certificate;

    private CertificateAuthority(KeyPair keys, X509Certificate certificate) {
        this.keys = keys;
        this.certificate = certificate;
    }

    /** A key with its certificate chain (the leaf, then the authority's certificate). */
    public record Issued(PrivateKey key, X509Certificate[] chain) {
        public X509Certificate certificate() {
            return chain[0];
        }
    }

    /** A new self-signed authority named {@code CN=<name>}, valid from now for {@code validity}. */
    public static CertificateAuthority create(String name, Duration validity) throws GeneralSecurityException {
        KeyPair keys = keyPair();
        X500Name subject = new X500Name("CN=" + name);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = builder(subject, subject, keys.getPublic(), validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(keys.getPublic()));
            return new CertificateAuthority(keys, sign(b, keys.getPrivate()));
        } catch (CertIOException e) {
            throw new GeneralSecurityException("cannot build the authority's certificate: " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A certificate for {@code CN=<commonName>} usable both as a TLS server and client (a broker is both; a client
     * needs only the latter), with {@code hosts} as subject alternative names (IP addresses or DNS names) for
     * hostname verification; empty for a client.
     */
    public Issued issue(String commonName, List<String> hosts, Duration validity) throws GeneralSecurityException {
        KeyPair leaf = keyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = builder(new X500Name(certificate.getSubjectX500Principal().getName()),
                    new X500Name("CN=" + commonName), leaf.getPublic(), validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[]{KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(certificate))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(leaf.getPublic()));
            if (!hosts.isEmpty()) {
                GeneralName[] names = hosts.stream().map(h -> new GeneralName(
                        h.matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress : GeneralName.dNSName, h))
                        .toArray(GeneralName[]::new);
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new Issued(leaf.getPrivate(), new X509Certificate[]{sign(b, keys.getPrivate()), certificate});
        } catch (CertIOException e) {
            throw new GeneralSecurityException("cannot build the certificate of " + commonName + ": " + e.getMessage(), e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey key, Duration validity) {
        // a minute back: clocks of the machines that check it may be a little behind
        Instant from = Instant.now().minusSeconds(60);
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).add(BigInteger.ONE),
                Date.from(from), Date.from(from.plus(validity)), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey by) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE)
                    .build(by)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign a certificate: " + e.getMessage(), e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }
}
