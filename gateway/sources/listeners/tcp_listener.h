#pragma once
// Readings over TCP, as JSON lines or length-prefixed protobuf frames. TCP can push back: while
// the pipeline is full a connection stops reading (the sender's socket buffer fills and it
// slows down), so nothing accepted from the wire is lost. A line or frame over the size limit,
// or a connection beyond max_connections, closes that connection and is counted.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <set>

#include "gateway/sources/listeners/listener_config.h"
#include "gateway/sources/reading_source.h"

namespace gw::sources {

class TcpListener : public ReadingSource {
 public:
  TcpListener(ListenerConfig config, boost::asio::any_io_executor executor,
              pipeline::ReadingSink& sink, Counters& counters);
  ~TcpListener() override;

  const std::string& id() const override { return config_.source_id; }
  void start() override;
  void stop() override;
  bool finished() const override { return false; }
  uint16_t boundPort() const { return bound_port_; }
  Status bindStatus() const { return bind_status_; }
  size_t connections() const { return sessions_.size(); }

 private:
  class Session;
  void accept();

  ListenerConfig config_;
  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Intake intake_;
  std::set<std::shared_ptr<Session>> sessions_;
  uint16_t bound_port_ = 0;
  Status bind_status_;
};

}  // namespace gw::sources
