#!/usr/bin/env bats
# qemu-vm-prepare-root --cloud-init-seed on its own: the NoCloud seed it builds (read back with isoinfo and
# parsed as YAML), when it is rebuilt, and how bad inputs fail. PREPARE comes from meson.

NS=e44232c9-0bea-5667-8313-7d3cfa10d417

setup() {
        dir=$BATS_TEST_TMPDIR
        seed=$dir/state/cloud-init.iso
        mkdir -p "$dir/state"
        ssh-keygen -q -t ed25519 -N '' -C 'alice@laptop' -f "$dir/alice" </dev/null
        ssh-keygen -q -t ecdsa -N '' -C 'admin "ops" \ desk' -f "$dir/admin" </dev/null
        hash=$(openssl passwd -6 -salt saltsalt secret)
        printf '[vm]\n\n[user.alice]\npassword_hash = %s\n' "$hash" >"$dir/web01.conf"
}

# The files of the seed, by their Rock Ridge names.
seed_file() {
        isoinfo -R -x "/$1" -i "$seed"
}

# yaml FILE EXPR: EXPR (Python, with the document as d) on the parsed seed file.
yaml() {
        seed_file "$1" >"$dir/$1.yaml"
        /usr/bin/python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
                "$dir/$1.yaml" "$2"
}

full_seed() {
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --fqdn web01.example.org \
                --ssh-keys-file "$dir/admin.pub" \
                --user alice --sudo --ssh-keys-file "$dir/alice.pub" --password-hash-at "$dir/web01.conf:4" \
                --user bob --shell /bin/sh \
                --nic lan --mac 02:00:0a:14:1e:28 --address 10.20.30.40/24 --address fd00::28/64 \
                --gateway 10.20.30.1 --dns 10.20.30.1 --dns 1.1.1.1 \
                --nic mgmt --mac 52:54:00:00:00:01 "$@"
}

instance_id() {
        seed_file meta-data | sed -n 's/^instance-id: //p'
}

no_temp_files() {
        [ -z "$(find "$dir/state" -name '.*tmp-*')" ]
}

@test "the seed is an ISO 9660 volume cidata with Rock Ridge and Joliet names, and the YAML says what was asked" {
        run full_seed
        [ "$status" -eq 0 ]
        [[ "$output" == "Made cloud-init seed $seed (iid-"*")." ]]
        isoinfo -d -i "$seed" >"$dir/info"
        grep -qx 'Volume id: cidata' "$dir/info"
        grep -q 'Rock Ridge signatures' "$dir/info"
        grep -q 'Joliet' "$dir/info"
        [ "$(isoinfo -R -f -i "$seed" | sort | tr '\n' ' ')" = "/meta-data /network-config /user-data " ]
        [ "$(isoinfo -J -f -i "$seed" | sort | tr '\n' ' ')" = "/meta-data /network-config /user-data " ]
        [ "$(stat -c %a "$seed")" = 600 ]

        [ "$(yaml meta-data 'd["local-hostname"]')" = web01 ]
        [[ "$(yaml meta-data 'd["instance-id"]')" == iid-* ]]
        [ "$(seed_file user-data | head -1)" = "#cloud-config" ]
        [ "$(yaml user-data 'd["fqdn"]')" = web01.example.org ]
        # So that `hostname -f` prints it: cloud-init writes "127.0.1.1 web01.example.org web01" to /etc/hosts.
        [ "$(yaml user-data 'd["manage_etc_hosts"]')" = True ]
        # The comment with quotes and a backslash survives YAML quoting unchanged.
        [ "$(yaml user-data 'd["ssh_authorized_keys"][0]')" = "$(cat "$dir/admin.pub")" ]
        [ "$(yaml user-data 'd["users"][0]')" = default ]
        [ "$(yaml user-data 'd["users"][1]["name"]')" = alice ]
        [ "$(yaml user-data 'd["users"][1]["sudo"]')" = "ALL=(ALL) NOPASSWD:ALL" ]
        [ "$(yaml user-data 'd["users"][1]["hashed_passwd"]')" = "$hash" ]
        [ "$(yaml user-data 'd["users"][1]["lock_passwd"]')" = False ]
        [ "$(yaml user-data 'd["users"][1]["ssh_authorized_keys"]')" = "['$(cat "$dir/alice.pub")']" ]
        [ "$(yaml user-data 'd["users"][2]')" = "{'name': 'bob', 'shell': '/bin/sh'}" ]

        [ "$(yaml network-config 'd["version"]')" = 2 ]
        [ "$(yaml network-config 'd["ethernets"]["lan"]["match"]["macaddress"]')" = 02:00:0a:14:1e:28 ]
        [ "$(yaml network-config 'd["ethernets"]["lan"]["addresses"]')" = "['10.20.30.40/24', 'fd00::28/64']" ]
        [ "$(yaml network-config 'd["ethernets"]["lan"]["routes"]')" = "[{'to': '0.0.0.0/0', 'via': '10.20.30.1'}]" ]
        [ "$(yaml network-config 'd["ethernets"]["lan"]["nameservers"]["addresses"]')" = "['10.20.30.1', '1.1.1.1']" ]
        [ "$(yaml network-config 'd["ethernets"]["mgmt"]')" = "{'match': {'macaddress': '52:54:00:00:00:01'}, 'dhcp4': True}" ]
        no_temp_files
}

@test "rebuilt only when the content changes; the instance-id follows the content, not the time" {
        full_seed
        first=$(instance_id)
        before=$(stat -c '%i %Y.%y' "$seed")
        sleep 1.1
        run full_seed
        [ "$status" -eq 0 ]
        [ "$output" = "Cloud-init seed $seed is up to date ($first), kept." ]
        [ "$(stat -c '%i %Y.%y' "$seed")" = "$before" ]

        # A new host name: a new seed and a new instance-id.
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web02
        [ "$(yaml meta-data 'd["local-hostname"]')" = web02 ]
        [ "$(instance_id)" != "$first" ]
        # A key file that changed counts as well, though the arguments are the same.
        full_seed
        [ "$(instance_id)" = "$first" ]
        ssh-keygen -q -t ed25519 -N '' -C 'alice@new' -f "$dir/alice2" </dev/null
        cp "$dir/alice2.pub" "$dir/alice.pub"
        full_seed
        [ "$(instance_id)" != "$first" ]
        no_temp_files
}

@test "the same content gives the same bytes, whatever the time zone; another VM gets another instance-id" {
        full_seed
        cp "$seed" "$dir/first.iso"
        rm "$seed"
        TZ=Asia/Kathmandu full_seed
        cmp "$seed" "$dir/first.iso"
        "$PREPARE" --cloud-init-seed "$dir/other.iso" --instance-namespace 11111111-2222-5333-8444-555555555555 --hostname web01
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01
        [ "$(isoinfo -R -x /meta-data -i "$dir/other.iso" | sed -n 's/^instance-id: //p')" != "$(instance_id)" ]
}

@test "characters YAML reads as line breaks or forbids are escaped: the comment comes back unchanged" {
        printf '%s next\302\205line \342\200\250sep \302\200c1 \357\277\277 caf\303\251 "q" \\ end\n' \
                "$(cut -d' ' -f1,2 "$dir/alice.pub")" >"$dir/odd.pub"
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --ssh-keys-file "$dir/odd.pub"
        seed_file user-data >"$dir/user-data.yaml"
        /usr/bin/python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
want = open(sys.argv[2], encoding="utf-8").read().rstrip("\n")
assert d["ssh_authorized_keys"] == [want], (d["ssh_authorized_keys"], want)
' "$dir/user-data.yaml" "$dir/odd.pub"
}

@test "no network-config without NICs; a network_config_file is copied verbatim" {
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01
        [ "$(isoinfo -R -f -i "$seed" | sort | tr '\n' ' ')" = "/meta-data /user-data " ]
        printf 'version: 1\nconfig:\n  - type: physical\n    name: eth0\n' >"$dir/net.yaml"
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --network-config-file "$dir/net.yaml"
        diff <(seed_file network-config) "$dir/net.yaml"
}

@test "user_data_file alone is passed verbatim; with users it becomes a MIME part after ours" {
        printf '#!/bin/sh\necho hello from a script\n' >"$dir/script.sh"
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --user-data-file "$dir/script.sh"
        diff <(seed_file user-data) "$dir/script.sh"

        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --user-data-file "$dir/script.sh" \
                --user alice --ssh-keys-file "$dir/alice.pub"
        seed_file user-data >"$dir/mime"
        /usr/bin/python3 - "$dir/mime" "$dir/script.sh" <<'PY'
import email, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read())
assert msg.is_multipart(), "not multipart"
parts = msg.get_payload()
# text/x-not-multipart: cloud-init tells the file's type from its first line, as for the file alone.
assert [p.get_content_type() for p in parts] == ["text/cloud-config", "text/x-not-multipart"], parts
assert "name: \"alice\"" in parts[0].get_payload(), parts[0].get_payload()
assert parts[1].get_payload() == open(sys.argv[2]).read(), repr(parts[1].get_payload())
PY
}

# fails_cleanly TEXT ARGS...: the run fails naming TEXT, the old seed is untouched, no temporary file is left.
fails_cleanly() {
        local text=$1
        shift
        before=$(stat -c '%i %Y.%y %s' "$seed")
        run "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 "$@"
        [ "$status" -eq 1 ]
        [[ "$output" == *"$text"* ]]
        [[ "$output" == *"Cloud-init seed '$seed' not made: the VM does not start until the problems above are fixed." ]]
        [ "$(stat -c '%i %Y.%y %s' "$seed")" = "$before" ]
        no_temp_files
}

@test "bad keys fail with the key file's name and line, and leave the old seed alone" {
        full_seed
        printf '%s\n\n# a comment\nssh-ed25519 not-base64!\n' "$(cat "$dir/alice.pub")" >"$dir/bad.pub"
        fails_cleanly "SSH keys of [user.alice]: $dir/bad.pub:4: the key data after the type is not base64" \
                --user alice --ssh-keys-file "$dir/bad.pub"
        printf 'hello world\n' >"$dir/bad.pub"
        fails_cleanly "SSH keys of the default user: $dir/bad.pub:1: not an SSH public key (expected [OPTIONS] TYPE BASE64" \
                --ssh-keys-file "$dir/bad.pub"
        # An ed25519 key's data under another type's name.
        sed 's/^ssh-ed25519/ssh-rsa/' "$dir/alice.pub" >"$dir/bad.pub"
        fails_cleanly "$dir/bad.pub:1: the key data does not hold a key of the type the line names" --ssh-keys-file "$dir/bad.pub"
        : >"$dir/empty.pub"
        fails_cleanly "SSH keys of the default user: $dir/empty.pub: holds no key" --ssh-keys-file "$dir/empty.pub"
        fails_cleanly "SSH keys of [user.bob]: $dir/missing.pub: cannot read: No such file or directory" \
                --user bob --ssh-keys-file "$dir/missing.pub"
        fails_cleanly "SSH keys of the default user: $dir: not a regular file" --ssh-keys-file "$dir"
        # Padding beyond what base64 needs: OpenSSH would ignore such a key.
        printf '%s====\n' "$(cut -d' ' -f1,2 "$dir/alice.pub")" >"$dir/bad.pub"
        fails_cleanly "$dir/bad.pub:1: the key data after the type is not base64" --ssh-keys-file "$dir/bad.pub"
        # Options before the key are part of authorized_keys syntax, and kept.
        printf 'from="10.0.0.0/8",command="echo \\"hi there\\"" %s\n' "$(cat "$dir/alice.pub")" >"$dir/options.pub"
        "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --ssh-keys-file "$dir/options.pub"
        [ "$(yaml user-data 'd["ssh_authorized_keys"][0]')" = "$(cat "$dir/options.pub")" ]
}

@test "a bad password hash, or a line that no longer holds it, fails; the hash is never printed" {
        full_seed
        printf '[user.alice]\npassword_hash = $6$saltsalt$short\n' >"$dir/bad.conf"
        fails_cleanly "$dir/bad.conf:2: 'password_hash' of [user.alice] is a malformed crypt(3) hash (its last part has the wrong length)." \
                --user alice --password-hash-at "$dir/bad.conf:2"
        [[ "$output" != *short* ]]
        fails_cleanly "$dir/web01.conf:3: the line no longer sets password_hash in [user.alice]: the file changed since the last 'systemctl daemon-reload'; run it." \
                --user alice --password-hash-at "$dir/web01.conf:3"
        # Sections moved since the generator ran: the hash on that line is now bob's, never given to alice.
        printf '[vm]\n[user.bob]\npassword_hash = %s\n[user.alice]\n' "$hash" >"$dir/moved.conf"
        fails_cleanly "$dir/moved.conf:3: the line no longer sets password_hash in [user.alice]" \
                --user alice --password-hash-at "$dir/moved.conf:3"
        fails_cleanly "Cannot read configuration file '$dir/gone.conf': No such file or directory" \
                --user alice --password-hash-at "$dir/gone.conf:3"
        [[ "$output" != *"$hash"* ]]
}

@test "bad user-data and network-config files fail naming the file" {
        full_seed
        fails_cleanly "Cannot read user_data_file '$dir/nope': No such file or directory" --user-data-file "$dir/nope"
        printf 'Content-Type: multipart/mixed; boundary="x"\n\n--x--\n' >"$dir/mime"
        fails_cleanly "user_data_file '$dir/mime' is a MIME message already: it cannot be combined" \
                --user-data-file "$dir/mime" --user alice
        printf 'a\0b' >"$dir/binary"
        fails_cleanly "network_config_file '$dir/binary' holds a NUL byte" --network-config-file "$dir/binary"
}

@test "arguments the generator never writes are refused before anything is read" {
        run "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname 'web01: x'
        [ "$status" -eq 2 ]
        [ "$output" = "Invalid --hostname 'web01: x'." ]
        run "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --sudo
        [ "$status" -eq 2 ]
        [ "$output" = "--sudo must follow --user." ]
        run "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --nic lan
        [ "$status" -eq 2 ]
        [ "$output" = "--nic lan needs --mac." ]
        run "$PREPARE" --cloud-init-seed "$seed" --instance-namespace web01 --hostname web01
        [ "$status" -eq 2 ]
        [ "$output" = "Invalid --instance-namespace 'web01'." ]
        run "$PREPARE" --hostname web01
        [ "$status" -eq 2 ]
        [ "$output" = "Cloud-init options need --cloud-init-seed." ]
        [ ! -e "$seed" ]
}

@test "run as root, the seed belongs to the owner of its directory" {
        [ "$(id -u)" = 0 ] || skip "needs root"
        chown nobody:nogroup "$dir/state"
        full_seed
        [ "$(stat -c %U:%G "$seed")" = nobody:nogroup ]
}

@test "every other input error names its file: odd key lines, files too large, a seed that cannot be written" {
        full_seed
        printf 'ssh-ed25519 AAAA\001x\n' >"$dir/bad.pub"
        fails_cleanly "$dir/bad.pub:1: control character in line" --ssh-keys-file "$dir/bad.pub"
        printf 'ssh-ed25519 AAAA \377\376\n' >"$dir/bad.pub"
        fails_cleanly "$dir/bad.pub:1: line is not valid UTF-8" --ssh-keys-file "$dir/bad.pub"
        # Base64 of the SSH string "ssh-ed25519" alone: a type, and no key after it.
        printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n' >"$dir/bad.pub"
        fails_cleanly "$dir/bad.pub:1: the key data holds no key" --ssh-keys-file "$dir/bad.pub"
        printf 'ssh-ed25519 AAAA\n' >"$dir/bad.pub"
        fails_cleanly "$dir/bad.pub:1: the key data is too short" --ssh-keys-file "$dir/bad.pub"
        head -c 1048577 /dev/zero | tr '\0' a >"$dir/big"
        fails_cleanly "SSH keys of the default user: $dir/big: larger than 1048576 bytes" --ssh-keys-file "$dir/big"
        fails_cleanly "user_data_file '$dir/big' is larger than 1048576 bytes." --user-data-file "$dir/big"
        fails_cleanly "Invalid --password-hash-at 'web01.conf' (expected FILE:LINE)." \
                --user alice --password-hash-at web01.conf

        run "$PREPARE" --cloud-init-seed "$dir/missing/cloud-init.iso" --instance-namespace "$NS" --hostname web01
        [ "$status" -eq 1 ]
        [ "$output" = "Cannot write cloud-init seed '$dir/missing/cloud-init.iso': No such file or directory" ]
}

@test "options out of place are refused" {
        run "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --mac 02:00:00:00:00:01
        [ "$status" -eq 2 ]
        [ "$output" = "--mac must follow --nic." ]
        run "$PREPARE" --cloud-init-seed "$seed" --hostname web01
        [ "$status" -eq 2 ]
        [ "$output" = "--cloud-init-seed needs --hostname and --instance-namespace." ]
        run "$PREPARE" --cloud-init-seed "$seed" --instance-namespace "$NS" --hostname web01 --disk "$dir/root.qcow2"
        [ "$status" -eq 2 ]
        [ "$output" = "--cloud-init-seed is a run of its own (it runs as root)." ]
        [ ! -e "$seed" ]
}
