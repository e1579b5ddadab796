/** Fixtures shared by the tests of every module: free ports, a fault-injecting TCP relay, a write workload. */
package io.pgha.testkit;
