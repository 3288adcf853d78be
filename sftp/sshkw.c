/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The table of every keyword ssh 9.2 accepts.  Where a keyword lands
 * follows one rule (SPEC 6): syncmail never connects differently from
 * ssh in silence.  So a keyword that would make ssh connect to another
 * place, from another address, with other credentials or keys, other
 * algorithms or a laxer or other host key check is refused where it
 * applies; one about what happens once connected (forwarding, the
 * session, the terminal, logging, keepalives, connection sharing) or one
 * whose only effect is that ssh logs in where syncmail fails loudly
 * (other authentication methods, more known hosts) is ignored.
 * syncmail.conf(5) lists the refused ones; keep the two in step.
 */
#include <stddef.h>
#include <strings.h>

#include "sftp/sshkw.h"

static const char *const any[] = { "any", NULL };
static const char *const canon[] = { "no", "false", "none", NULL };
static const char *const agent[] = { "SSH_AUTH_SOCK", NULL };
static const char *const none[] = { "none", NULL };
static const char *const sk[] = { "internal", NULL };
static const char *const pubkey[] = { "yes", "true", "unbound",
	"host-bound", NULL };
/* a list that still has publickey: ssh tries it, as syncmail does */
static const char *const prefer[] = { "*publickey*", NULL };

#define A(n)		{ n, SSHKW_APPLY, NULL, -1 }
#define I(n)		{ n, SSHKW_IGNORE, NULL, -1 }
#define R(n)		{ n, SSHKW_REFUSE, NULL, -1 }
#define RV(n, v, s)	{ n, SSHKW_REFUSE, v, s }

static const struct sshkw sshkw_table[] = {
	I("AddKeysToAgent"),
	RV("AddressFamily", any, 0),
	I("AFSTokenPassing"),		/* unsupported, accepted */
	I("BatchMode"),
	R("BindAddress"),
	R("BindInterface"),
	I("CanonicalDomains"),		/* only with CanonicalizeHostname */
	I("CanonicalizeFallbackLocal"),
	RV("CanonicalizeHostname", canon, 1),
	I("CanonicalizeMaxDots"),
	I("CanonicalizePermittedCNAMEs"),
	I("CASignatureAlgorithms"),	/* certificates: syncmail has none */
	R("CertificateFile"),
	I("ChallengeResponseAuthentication"),
	I("CheckHostIP"),
	I("Cipher"),			/* SSH 1, deprecated */
	R("Ciphers"),
	I("ClearAllForwardings"),
	I("Compression"),
	I("CompressionLevel"),		/* unsupported, accepted */
	I("ConnectionAttempts"),
	I("ConnectTimeout"),		/* syncmail's own timeout rules */
	I("ControlMaster"),
	I("ControlPath"),
	I("ControlPersist"),
	RV("DSAAuthentication", pubkey, 6),
	I("DynamicForward"),
	I("EnableEscapeCommandline"),
	I("EnableSSHKeysign"),
	I("EscapeChar"),
	I("ExitOnForwardFailure"),
	I("FallBackToRsh"),		/* deprecated */
	I("FingerprintHash"),
	I("ForkAfterAuthentication"),
	I("ForwardAgent"),
	I("ForwardX11"),
	I("ForwardX11Timeout"),
	I("ForwardX11Trusted"),
	I("GatewayPorts"),
	I("GlobalKnownHostsFile"),
	I("GlobalKnownHostsFile2"),	/* deprecated */
	I("GSSAPIAuthentication"),
	I("GSSAPIClientIdentity"),
	I("GSSAPIDelegateCredentials"),
	I("GSSAPIKexAlgorithms"),
	I("GSSAPIKeyExchange"),
	I("GSSAPIRenewalForcesRekey"),
	I("GSSAPIServerIdentity"),
	I("GSSAPITrustDns"),
	I("HashKnownHosts"),
	A("Host"),
	I("HostbasedAcceptedAlgorithms"),
	I("HostbasedAuthentication"),
	I("HostbasedKeyTypes"),		/* old name of the one above */
	R("HostKeyAlgorithms"),
	A("HostKeyAlias"),
	A("HostName"),
	A("IdentitiesOnly"),
	RV("IdentityAgent", agent, 2),
	A("IdentityFile"),
	A("IdentityFile2"),		/* obsolete name of IdentityFile */
	A("IgnoreUnknown"),
	A("Include"),
	I("IPQoS"),
	I("KbdInteractiveAuthentication"),
	I("KbdInteractiveDevices"),
	I("KeepAlive"),			/* old name of TCPKeepAlive */
	I("KerberosAuthentication"),	/* unsupported, accepted */
	I("KerberosTGTPassing"),	/* unsupported, accepted */
	R("KexAlgorithms"),
	RV("KnownHostsCommand", none, 5),
	I("LocalCommand"),
	I("LocalForward"),
	I("LogLevel"),
	I("LogVerbose"),
	R("MACs"),
	A("Match"),
	I("NoHostAuthenticationForLocalhost"),
	I("NumberOfPasswordPrompts"),
	I("PasswordAuthentication"),
	I("PermitLocalCommand"),
	I("PermitRemoteOpen"),
	RV("PKCS11Provider", none, 3),
	A("Port"),
	RV("PreferredAuthentications", prefer, 7),
	I("Protocol"),			/* deprecated, silently ignored */
	I("ProtocolKeepAlives"),	/* Debian: ServerAliveInterval */
	A("ProxyCommand"),
	A("ProxyJump"),
	I("ProxyUseFdpass"),
	R("PubkeyAcceptedAlgorithms"),
	R("PubkeyAcceptedKeyTypes"),	/* old name of the one above */
	RV("PubkeyAuthentication", pubkey, 6),
	I("RekeyLimit"),
	I("RemoteCommand"),
	I("RemoteForward"),
	I("RequestTTY"),
	R("RequiredRSASize"),
	R("RevokedHostKeys"),
	I("RhostsAuthentication"),	/* deprecated */
	I("RhostsRSAAuthentication"),	/* unsupported, accepted */
	I("RSAAuthentication"),		/* unsupported, accepted */
	RV("SecurityKeyProvider", sk, 4),
	I("SendEnv"),
	I("ServerAliveCountMax"),
	I("ServerAliveInterval"),
	I("SessionType"),
	I("SetEnv"),
	I("SetupTimeOut"),		/* Debian: ConnectTimeout */
	I("SKeyAuthentication"),
	RV("SmartcardDevice", none, 3),	/* old name of PKCS11Provider */
	I("StdinNull"),
	I("StreamLocalBindMask"),
	I("StreamLocalBindUnlink"),
	A("StrictHostKeyChecking"),
	I("SyslogFacility"),
	I("TCPKeepAlive"),
	I("TISAuthentication"),
	I("Tunnel"),
	I("TunnelDevice"),
	I("UpdateHostKeys"),
	I("UsePrivilegedPort"),		/* deprecated */
	A("User"),
	A("UserKnownHostsFile"),
	I("UserKnownHostsFile2"),	/* deprecated */
	I("UseRoaming"),		/* deprecated */
	I("UseRsh"),			/* deprecated */
	I("VerifyHostKeyDNS"),
	I("VisualHostKey"),
	I("XAuthLocation"),
};

const struct sshkw *
sshkw_find(const char *keyword)
{
	size_t i;

	for (i = 0; i < sizeof(sshkw_table) / sizeof(sshkw_table[0]); i++)
		if (strcasecmp(sshkw_table[i].name, keyword) == 0)
			return &sshkw_table[i];
	return NULL;
}
