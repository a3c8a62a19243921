-- http-service source and http-service-response sink (source/source-types/http-service.md, sink/sink-types/http-service-response.md)
@App:name('Sample-HTTP-Source')
@App:description("This application shows how to receive POST requests via Stream Workers API.")
@App:qlVersion('2')

CREATE SOURCE AddStream WITH (type='http-service', source.id='adder', map.type='json', map.attributes.messageId='trp:messageId', map.attributes.value1='$.event.value1', map.attributes.value2='$.event.value2') (messageId string, value1 long, value2 long);

CREATE SINK ResultStream WITH (type='http-service-response', source.id='adder', message.id='{{messageId}}', map.type = 'json') (messageId string, results long);

@info(name = 'query1')
insert into ResultStream
select messageId, value1 + value2 as results
from AddStream;
