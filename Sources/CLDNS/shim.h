#ifndef IPSECKEY_VERIFY_CLDNS_SHIM_H
#define IPSECKEY_VERIFY_CLDNS_SHIM_H
#include <ldns/ldns.h>
#endif
