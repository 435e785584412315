#pragma once
// Nagle off for the MQTT connections that Paho opens.
//
// Paho C 1.3.12 (Debian 12) never sets TCP_NODELAY and has no option for it (upstream added one
// in 2026: paho.mqtt.c #530). With Nagle on at the client, each small PUBLISH or PUBACK may wait
// for the TCP acknowledgement of the one before; against a broker that keeps Nagle on too
// (Mosquitto's default, `set_tcp_nodelay false`) the waits on both sides feed each other and a
// reading's latency grows by milliseconds per hop (issue 20). Paho does not hand out its socket,
// so a client calls this once connected: every TCP socket of this process whose peer is the
// broker's port gets TCP_NODELAY. The sockets are found by probing descriptor numbers with
// socket calls alone, never by opening /proc/self/fd (decision 1370). Another connection to the
// same port gets it too, which is what newer Paho does for every connection anyway.
#include <cstdint>
#include <optional>
#include <string>

namespace gw {

// The port of an MQTT URL (tcp://, mqtt://, ssl://, mqtts://; host names, IPv4 and [IPv6]); the
// scheme's default (1883, or 8883 for TLS) when none is written; nullopt when it cannot be read.
std::optional<uint16_t> brokerPort(const std::string& url);

// Sets TCP_NODELAY on each TCP socket of this process connected to a peer at `port`; returns how
// many it set. Sockets that come and go meanwhile are skipped.
int setTcpNoDelayForPeerPort(uint16_t port);

// What a client calls once connected to `broker_url`; returns how many sockets it set.
int disableNagleTowardsBroker(const std::string& broker_url);

}  // namespace gw
