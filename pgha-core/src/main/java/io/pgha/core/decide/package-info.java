/** The pure decision function of the agent: observation in, one decision out. Reads no clock, network or file. */
package io.pgha.core.decide;
