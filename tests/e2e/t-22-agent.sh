#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Authentication (SPEC 6): an ssh-agent started here with an ed25519 key
# and no identity file configured works; RSA keys in the agent are
# skipped with a -v note (libssh2 1.10 signs with SHA-1 only; with 1.11
# one is offered and works).  An
# encrypted key with no agent and no terminal: a clear error naming the
# key and ssh-add, exit 77.  With a terminal, the passphrase is asked
# for (a wrong one asks again), never echoed, and the key works.  When
# every method is refused, the message lists what was tried.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup

# No identity line: the agent, then the default files (there are none).
sed -i '/^\tidentity /d' "$CONF"
start_agent
ssh-keygen -q -t rsa -b 2048 -N '' -C agent-rsa -f "$T/id_rsa" || fail ssh-keygen
SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -q "$T/id_rsa" 2>/dev/null || fail "ssh-add rsa"

# Only an RSA key in the agent.  libssh2 1.10 (syncmail -V says "SHA-1
# only"): skipped, said under -v; refused.  1.11: offered, signed with
# rsa-sha2, refused as the server does not know it, taken once it does.
mkmsgs "$REMOTE/new" 10 small
run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -v
assert_rc 77 "agent with only an RSA key"
if "$SYNCMAIL" -V | grep -q "RSA keys sign with SHA-1 only"; then
	grep -q "skipping RSA key agent-rsa: libssh2 1.10 signs with SHA-1 only" "$T/out" ||
		fail "no -v note about the skipped RSA key: $(cat "$T/out")"
	grep -q "tried: ssh-agent (0 usable keys)" "$T/err" ||
		fail "the failure does not list what was tried"
else
	grep -q "tried: ssh-agent (1 usable keys)" "$T/err" ||
		fail "the agent's RSA key was not offered: $(cat "$T/err")"
	cp "$T/authorized_keys" "$T/authorized_keys.ed25519"
	cat "$T/id_rsa.pub" >>"$T/authorized_keys"
	run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -q
	assert_rc 0 "an RSA key in the agent with libssh2 1.11"
	mv "$T/authorized_keys.ed25519" "$T/authorized_keys"
	mkmsgs "$REMOTE/new" 10 small
fi

# The ed25519 key added: it works.
SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -q "$T/id_ed25519" 2>/dev/null || fail "ssh-add"
run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -q
assert_rc 0 "agent with an ed25519 key"
assert_quiet "agent run"
check_exactly_once
# ... and without the agent it does not (so it was the agent).
mkmsgs "$REMOTE/new" 3 small
run_syncmail_env -- -q
assert_rc 77 "no agent, no identity"
grep -q "no ssh-agent (SSH_AUTH_SOCK is not set)" "$T/err" ||
	fail "the failure does not say there was no agent"

# An encrypted key, no agent, no terminal.
PASS='correct horse battery'
ssh-keygen -q -t ed25519 -N "$PASS" -C encrypted -f "$T/id_enc" || fail ssh-keygen
cat "$T/id_enc.pub" >"$T/authorized_keys"
conf_add identity "$T/id_enc"
run_syncmail_env -- -q
assert_rc 77 "encrypted key without a terminal"
grep -q "$T/id_enc (encrypted, and no terminal to ask for its passphrase)" "$T/err" ||
	fail "no clear error for an encrypted key without a terminal"
grep -q "ssh-add $T/id_enc" "$T/err" || fail "the error does not suggest ssh-add"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "messages moved without authentication"

# With a terminal: a wrong passphrase, then the right one.
run_syncmail_pty "passphrase for key $T/id_enc: =>wrong one
passphrase for key $T/id_enc: =>$PASS" -q
[ "$RC" = 0 ] || { cat "$T/out"; fail "encrypted key on a terminal: exit $RC, want 0"; }
[ "$(grep -c "passphrase for key $T/id_enc" "$T/out")" = 2 ] ||
	fail "want two prompts (wrong, then right): $(cat "$T/out")"
grep -q "wrong passphrase" "$T/out" || fail "a wrong passphrase is not reported"
grep -qF "$PASS" "$T/out" && fail "the passphrase was echoed"
check_exactly_once

# The agent holding the encrypted key: no prompt needed, no terminal.
SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -D -q 2>/dev/null
printf '#!/bin/sh\necho "%s"\n' "$PASS" >"$T/askpass"
chmod 700 "$T/askpass"
SSH_AUTH_SOCK=$AGENT_SOCK SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
    DISPLAY=:0 setsid -w ssh-add -q "$T/id_enc" </dev/null 2>/dev/null ||
	fail "ssh-add of the encrypted key"
mkmsgs "$REMOTE/new" 5 small
run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -q
assert_rc 0 "encrypted key through the agent"
check_exactly_once
