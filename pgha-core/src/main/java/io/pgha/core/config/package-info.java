/** Node configuration as immutable records, validated once with errors that name the key. */
package io.pgha.core.config;
