#pragma once
// Readings over UDP: each datagram carries one or more JSON readings, one per line. UDP cannot
// push back, so when the pipeline is full a datagram's readings are dropped and counted.
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <vector>

#include "gateway/sources/listeners/listener_config.h"
#include "gateway/sources/reading_source.h"

namespace gw::sources {

class UdpListener : public ReadingSource {
 public:
  UdpListener(ListenerConfig config, const boost::asio::any_io_executor& executor,
              pipeline::ReadingSink& sink, Counters& counters);

  const std::string& id() const override { return config_.source_id; }
  void start() override;
  void stop() override;
  bool finished() const override { return false; }
  // The port actually bound (after start(); useful with port 0).
  uint16_t boundPort() const { return bound_port_; }
  Status bindStatus() const { return bind_status_; }

 private:
  void receive();

  ListenerConfig config_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint peer_;
  std::vector<char> buffer_;
  Intake intake_;
  uint16_t bound_port_ = 0;
  Status bind_status_;
};

}  // namespace gw::sources
