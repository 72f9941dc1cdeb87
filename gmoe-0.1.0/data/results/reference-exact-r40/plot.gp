# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 1000,560 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 1000,560; set output 'plot.png'
} else {
    set terminal svg size 1000,560; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set xrange [75.857757502918375:131825.67385564069]
set yrange [0.006216224274595449:1.3336707515172721]
set xlabel 'sample size N'
set ylabel 'D1 loss'
set title "softmax, k = 2 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('100' 100, '200' 200, '500' 500, '1000' 1000, '2000' 2000, '5000' 5000, '10k' 10000, '20k' 20000, '50k' 50000, '100k' 100000)
set ytics ('0.01' 0.01, '0.02' 0.02, '0.05' 0.050000000000000003, '0.1' 0.10000000000000001, '0.2' 0.20000000000000001, '0.5' 0.5, '1' 1)
bottom = 0.006216224274595449
lo(v) = v > bottom ? v : bottom
theory(x) = 2.1124292151822122 * sqrt(log(x) / x)
mean_fit(x) = exp(1.9640911651265545) * x**-0.50453040861355836
median_fit(x) = exp(1.7689222272227183) * x**-0.50046846253953003
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 40 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.50453040861355836, -0.51869950759820604, -0.49036130962891061), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.50046846253953003, -0.52132710682169958, -0.47960981825736043), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "theory: c (log N / N)^{1/2}"
