<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>Dispatcher</name>
    <message numerus="yes">
        <source>%n deliveries in a row failed</source>
        <translation>
            <numerusform>%n delivery failed</numerusform>
            <numerusform>%n deliveries in a row failed</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EndpointsModel</name>
    <message numerus="yes">
        <source>At most %n attempt(s) at once</source>
        <translation>
            <numerusform>At most %n attempt at once</numerusform>
            <numerusform>At most %n attempts at once</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message numerus="yes">
        <source>Send %n failed delivery(s) that match the filters again? Each keeps its webhook-id, so receivers can tell a repeat.</source>
        <translation>
            <numerusform>Send the %n failed delivery that matches the filters again? It keeps its webhook-id, so the receiver can tell a repeat.</numerusform>
            <numerusform>Send %n failed deliveries that match the filters again? Each keeps its webhook-id, so receivers can tell a repeat.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RetryPlanner</name>
    <message numerus="yes">
        <source>All %n attempt(s) used.</source>
        <translation>
            <numerusform>The only attempt allowed was used.</numerusform>
            <numerusform>All %n attempts used.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StoreCopy</name>
    <message numerus="yes">
        <source>%n delivery(s) in %1 are being sent by a running Hookline (a window, &apos;hookline run&apos; or &apos;hookline serve&apos;). Stop the processes that use %1, then copy: otherwise both stores would send them.</source>
        <translation>
            <numerusform>%n delivery in %1 is being sent by a running Hookline (a window, &apos;hookline run&apos; or &apos;hookline serve&apos;). Stop the processes that use %1, then copy: otherwise both stores would send it.</numerusform>
            <numerusform>%n deliveries in %1 are being sent by a running Hookline (a window, &apos;hookline run&apos; or &apos;hookline serve&apos;). Stop the processes that use %1, then copy: otherwise both stores would send them.</numerusform>
        </translation>
    </message>
</context>
</TS>
