#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# AsyncSSH's SSH server and its SFTP server (python3-asyncssh), for
# tests/e2e/t-43: listens on 127.0.0.1:PORT with HOSTKEY, lets USER in
# with a key from AUTHORIZED_KEYS (public key authentication only), and
# serves the file system through asyncssh.SFTPServer.  As root it reads
# the keys, then runs as USER (PORT is above 1023), as a real server's
# session would: the remote Maildir's files are USER's.
#
#	asyncssh_server.py PORT HOSTKEY AUTHORIZED_KEYS USER
#
# Runs until killed; errors to stderr.
import asyncio
import os
import pwd
import sys
import warnings

# Debian 12's cryptography warns about ciphers asyncssh merely imports.
warnings.simplefilter("ignore")
import asyncssh  # noqa: E402


class Server(asyncssh.SSHServer):
    """Public key authentication for one user."""

    def __init__(self, user, keys):
        self._user = user
        self._keys = keys
        self._conn = None

    def connection_made(self, conn):
        self._conn = conn

    def begin_auth(self, username):
        # Other users get no keys: every attempt fails.
        if username == self._user:
            self._conn.set_authorized_keys(self._keys)
        return True

    def password_auth_supported(self):
        return False


async def serve(port, hostkey, keys, user):
    await asyncssh.listen(
        "127.0.0.1", port,
        reuse_address=True,
        server_factory=lambda: Server(user, keys),
        server_host_keys=[hostkey],
        sftp_factory=True,
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        # no shell or exec: the client asks only for the sftp subsystem
        process_factory=None,
    )
    await asyncio.Event().wait()


def main():
    port, hostkey_path, keys_path, user = sys.argv[1:5]
    hostkey = asyncssh.read_private_key(hostkey_path)
    keys = asyncssh.read_authorized_keys(keys_path)
    if os.getuid() == 0:
        pw = pwd.getpwnam(user)
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
        os.chdir(pw.pw_dir if os.path.isdir(pw.pw_dir) else "/")
    asyncio.run(serve(int(port), hostkey, keys, user))


if __name__ == "__main__":
    main()
