#pragma once
// An HTTP endpoint (Boost.Beast) for the Sensor.Community (airrohr) firmware's push: real SDS011 /
// BME280 nodes configured with a custom API pointing at the box POST their JSON here.
// Answers: 200 accepted; 400 malformed body (with the reason); 404 other paths; 405 other
// methods; 413 body over the limit; 503 pipeline full (the firmware retries next interval).
// One request per connection; a 10 s deadline per connection so a slow client cannot hold it.
#include <boost/asio/ip/tcp.hpp>

#include "gateway/sources/listeners/listener_config.h"
#include "gateway/sources/reading_source.h"

namespace gw::sources {

class HttpPushListener : public ReadingSource {
 public:
  HttpPushListener(ListenerConfig config, boost::asio::any_io_executor executor,
                   pipeline::ReadingSink& sink, Counters& counters);

  const std::string& id() const override { return config_.source_id; }
  void start() override;
  void stop() override;
  bool finished() const override { return false; }
  uint16_t boundPort() const { return bound_port_; }
  Status bindStatus() const { return bind_status_; }

 private:
  class Session;
  void accept();

  ListenerConfig config_;
  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Intake intake_;
  size_t open_sessions_ = 0;
  uint16_t bound_port_ = 0;
  Status bind_status_;
};

}  // namespace gw::sources
