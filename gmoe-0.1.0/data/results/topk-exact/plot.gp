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
set xrange [155.98081869574671:128220.89387164732]
set yrange [0.11721330563411775:5.2692836614607792]
set xlabel 'sample size N'
set ylabel 'D1 loss'
set title "topk, k = 3 fitted, k* = 3 true, normal design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('200' 200, '500' 500, '1000' 1000, '2000' 2000, '5000' 5000, '10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000)
set ytics ('0.2' 0.20000000000000001, '0.5' 0.5, '1' 1, '2' 2, '5' 5)
bottom = 0.11721330563411775
lo(v) = v > bottom ? v : bottom
theory(x) = 23.739098975696514 * sqrt(log(x) / x)
mean_fit(x) = exp(3.7035300020490629) * x**-0.43875010146220206
median_fit(x) = exp(3.7320424216927823) * x**-0.44497073321900071
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 20 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.43875010146220206, -0.46584887849709211, -0.411651324427312), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.44497073321900071, -0.47598569826503656, -0.41395576817296487), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "theory: c (log N / N)^{1/2}"
