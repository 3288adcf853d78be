#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A hostile SFTP server breaks the protocol in the middle of one message
# (its second READ, so a partial file exists locally): replies to ids
# never sent, a reply sent twice, a HANDLE sent twice, the wrong reply
# type, a 300-byte handle, a string longer than its packet, lengths near
# 2^32 or over the packet limit, half a packet and then the end of the
# stream.  Each ends the account with status 75 and a message naming the
# fault; no partial message is delivered, nothing undelivered is deleted,
# nothing is written outside the local Maildir; an honest run then
# delivers every message exactly once.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup

# mode		status	stderr names the fault			victim
hostile_case unknown-id	75 'answered request [0-9]+, which is not in flight' kept
hostile_case dup-id	75 'answered request [0-9]+, which is not in flight' kept
hostile_case dup-open	75 'answered request [0-9]+, which is not in flight' kept
hostile_case wrong-type	75 'READ answered with packet type 105'		kept
hostile_case handle-long 75 'malformed packet \(type 102\)'		kept
hostile_case trunc-field 75 'malformed packet \(type 103\)'		kept
hostile_case strlen-huge 75 'malformed packet \(type 103\)'		kept
hostile_case len-huge	75 'packet of impossible length'		kept
hostile_case len-over	75 'packet of impossible length'		kept
hostile_case trunc-stream 75 'closed the connection'			kept
note "$HCASES protocol faults"
