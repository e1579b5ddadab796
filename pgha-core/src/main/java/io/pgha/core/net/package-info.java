/** Network addresses as pgha accepts and prints them: host and port, IPv6 literals in brackets. */
package io.pgha.core.net;
