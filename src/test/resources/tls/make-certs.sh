#!/usr/bin/env bash
# Makes the key stores the TLS tests use. Run from this directory with a JDK's keytool on the PATH:
#   cd src/test/resources/tls && ./make-certs.sh
# Everything is PKCS#12 with the password "changeit". The CA and the good certificates are valid for 100 years.
set -euo pipefail
rm -f ./*.p12 ./*.csr ./*.crt
KT="keytool -storetype PKCS12 -storepass changeit -keypass changeit -noprompt"
LONG=36500

# A CA, and a trust store holding only its certificate.
$KT -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=tether test CA" -ext bc:c -validity $LONG -keystore ca.p12
$KT -exportcert -rfc -alias ca -keystore ca.p12 -file ca.crt
$KT -importcert -alias ca -file ca.crt -keystore truststore.p12

# sign NAME DNAME SAN [extra gencert options]: a key pair in NAME.p12 whose certificate the CA signed.
sign() {
  local name=$1 dname=$2 san=$3; shift 3
  $KT -genkeypair -alias "$name" -keyalg EC -groupname secp256r1 -dname "$dname" -validity $LONG -keystore "$name.p12"
  $KT -certreq -alias "$name" -keystore "$name.p12" -file "$name.csr"
  $KT -gencert -alias ca -keystore ca.p12 -infile "$name.csr" -outfile "$name.crt" -rfc -ext "san=$san" "$@"
  $KT -importcert -alias ca -file ca.crt -keystore "$name.p12"
  $KT -importcert -alias "$name" -file "$name.crt" -keystore "$name.p12"
}

sign server "CN=localhost" "dns:localhost,ip:127.0.0.1" -validity $LONG
sign client "CN=tether test client" "dns:client.tether.test" -validity $LONG
sign wronghost "CN=elsewhere.example" "dns:elsewhere.example" -validity $LONG
sign expired "CN=localhost" "dns:localhost,ip:127.0.0.1" -startdate -30d -validity 1

# Self-signed, from no CA the trust store knows.
$KT -genkeypair -alias untrusted -keyalg EC -groupname secp256r1 -dname "CN=localhost" -ext "san=dns:localhost,ip:127.0.0.1" -validity $LONG -keystore untrusted.p12

rm -f ./*.csr ./*.crt
echo "made: $(ls ./*.p12 | tr '\n' ' ')"
