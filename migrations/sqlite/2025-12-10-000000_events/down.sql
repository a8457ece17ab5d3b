DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE event_log;
DROP TABLE events;
