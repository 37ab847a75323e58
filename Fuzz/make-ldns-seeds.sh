#!/usr/bin/env bash
# Regenerates Fuzz/corpus/FuzzLDNSDifferential: one small zone per DNSSEC algorithm, keys made by ldns-keygen and
# signed by ldns-signzone (NSEC), then one seed message per signed RRset (RRset + RRSIG + the zone's DNSKEYs), written
# by the fuzzer binary itself (`FuzzLDNSDifferential --make-seeds`). The seeds carry their own time (the middle of
# each RRSIG's window), so they stay usable after the signatures expire.
#   Fuzz/make-ldns-seeds.sh [FUZZER_BINARY]     default .build-fuzz/debug/FuzzLDNSDifferential
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-.build-fuzz/debug/FuzzLDNSDifferential}"
out=Fuzz/corpus/FuzzLDNSDifferential
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for alg in RSASHA1 RSASHA256 RSASHA512 ECDSAP256SHA256 ECDSAP384SHA384 ED25519 ED448; do
    zone="$(tr 'A-Z' 'a-z' <<<"$alg").fuzz."
    ( cd "$work"
      bits=(); case $alg in RSA*) bits=(-b 1024);; esac
      ksk=$(ldns-keygen -a "$alg" "${bits[@]}" -k "$zone")
      zsk=$(ldns-keygen -a "$alg" "${bits[@]}" "$zone")
      cat >"$zone.zone" <<ZONE
\$ORIGIN $zone
\$TTL 3600
@       IN SOA ns1 hostmaster 1 7200 3600 1209600 3600
@       IN NS  ns1
ns1     IN A   192.0.2.1
gw      IN IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==
gw      IN TXT "a" "bc"
mx      IN MX  10 mail.example.
*.w     IN TXT "wild"
ZONE
      rm -f "$ksk.ds" "$zsk.ds"
      ldns-signzone -f "$zone.signed" "$zone.zone" "$ksk" "$zsk"
      # RFC 3597 generic form for every type: DNSModel's zone reader takes RRSIG and NSEC only that way.
      ldns-read-zone -U A "$zone.signed" >"$zone.generic" )
    "$bin" --make-seeds "$work/$zone.generic" "$out"
done
ls "$out" | wc -l
