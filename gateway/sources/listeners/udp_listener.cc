#include "gateway/sources/listeners/udp_listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "gateway/core/clock.h"
#include "gateway/sources/sensor/formats/json_reading.h"
#include "gateway/sources/sensor/formats/text_split.h"

namespace gw::sources {

UdpListener::UdpListener(ListenerConfig config, const boost::asio::any_io_executor& executor,
                         pipeline::ReadingSink& sink, Counters& counters)
    : config_(std::move(config)),
      socket_(executor),
      buffer_(config_.max_message_bytes + 1),  // one byte more, to recognise an oversized datagram
      intake_(config_.source_id, config_.guard, sink, counters) {}

void UdpListener::start() {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(config_.bind_address, ec);
  if (!ec)
    socket_.open(address.is_v6() ? boost::asio::ip::udp::v6() : boost::asio::ip::udp::v4(), ec);
  if (!ec) socket_.bind({address, config_.port}, ec);
  if (ec) {
    bind_status_ = unavailable("UDP " + config_.bind_address + ":" + std::to_string(config_.port) +
                               ": " + ec.message());
    spdlog::error("Source cannot listen source={} error=\"{}\"", config_.source_id,
                  bind_status_.message());
    return;
  }
  bound_port_ = socket_.local_endpoint().port();
  spdlog::info("Source listening source={} udp={}:{}", config_.source_id, config_.bind_address,
               bound_port_);
  receive();
}

void UdpListener::stop() {
  boost::asio::post(socket_.get_executor(), [this] {
    boost::system::error_code ignored;
    socket_.close(ignored);
  });
}

void UdpListener::receive() {
  socket_.async_receive_from(
      boost::asio::buffer(buffer_), peer_, [this](boost::system::error_code ec, size_t n) {
        if (ec == boost::asio::error::operation_aborted || !socket_.is_open()) return;
        if (ec) {
          intake_.reject("receive_error", ec.message());
        } else if (n > config_.max_message_bytes) {
          intake_.reject("oversized", "datagram larger than " +
                                          std::to_string(config_.max_message_bytes) + " bytes");
        } else {
          const int64_t now = nowUnixMs();
          for (std::string_view line : splitLines(std::string_view(buffer_.data(), n))) {
            if (trimField(line).empty()) continue;
            auto parsed = parseJsonReading(line, config_.source_id);
            if (!parsed.ok()) {
              intake_.reject("malformed", parsed.status().message());
              continue;
            }
            intake_.deliver(*parsed, now);
          }
        }
        receive();
      });
}

}  // namespace gw::sources
